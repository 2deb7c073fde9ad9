//! What `/numbers` says: a page of numbers, its footer and its buttons.
//!
//! Each message is declared once, in English and Chinese, in a [`texts!`](crate::texts) table;
//! the words several commands share are in [`crate::messages`].

use crate::messages::grouped;
use crate::texts::texts;

texts! {
    /// A message of `/numbers`, with its arguments. [`NumbersMsg::text`] words it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum NumbersMsg<'a>, key NumbersKey;

    /// Title of a page.
    NumbersTitle {
        /// The task's label.
        task: &'a str,
        /// The filter in words.
        filter: &'a str,
    } => en "Numbers of task {task} · {filter}", zh "任务号码 {task} · {filter}";
    /// A page's footer.
    PageFooter {
        /// Numbers matching.
        total: u64,
        /// This page.
        page: u64,
        /// The last page.
        last: u64,
    } =>
        let (total, page, last) = (grouped(total), grouped(page), grouped(last));
        en "{total} numbers · page {page}/{last}",
        zh "共 {total} 个号码 · 第 {page}/{last} 页";
    /// Button: the previous page.
    PrevPage => en "◀ Prev", zh "◀ 上一页";
    /// Button: the next page.
    NextPage => en "Next ▶", zh "下一页 ▶";
    /// Run `/numbers` again.
    RunNumbersAgain => en "Run /numbers again.", zh "请重新执行 /numbers。";
    /// Column: last call.
    ColumnLastCall => en "last call", zh "最近呼叫";
    /// Column: call length.
    ColumnLength => en "length", zh "时长";
    /// `/numbers` without fresh counts: where to get them.
    CountsHint {
        /// The `/stats` command of the same filter.
        command: &'a str,
    } => en "Counts per status: run {command}", zh "按状态计数：请执行 {command}";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn arguments_go_where_both_languages_say() {
        let msg = NumbersMsg::PageFooter {
            total: 300,
            page: 1,
            last: 30,
        };
        assert_eq!(msg.text(Lang::En), "300 numbers · page 1/30");
        assert_eq!(msg.text(Lang::Zh), "共 300 个号码 · 第 1/30 页");
        // A task of a million numbers: its counts stay readable through the masking step,
        // which masks any run of seven digits.
        let footer = NumbersMsg::PageFooter {
            total: 1_234_567,
            page: 1,
            last: 123_457,
        }
        .text(Lang::En);
        assert_eq!(
            crate::Outbound::new(true, None).text(&footer),
            "1,234,567 numbers · page 1/123,457"
        );
    }
}
