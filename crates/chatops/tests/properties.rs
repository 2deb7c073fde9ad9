//! Arbitrary input never panics the command parser or the action checker, and well-formed
//! commands parse to what they say.
#![allow(clippy::unwrap_used)] // tests may panic

use agent_chatops::token::{ActionToken, PageState, Signer};
use agent_chatops::{CommandName, OptionKey, parse};
use agent_core::StatusSet;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_parser_never_panics(text in "\\PC*") {
        let _ = parse(&text);
    }

    #[test]
    fn the_parser_never_panics_on_command_like_text(
        name in "(/numbers|/reset|/help|numbers|/numbers@bot|/x)",
        words in proptest::collection::vec("[a-z:=：\"'“” ]{0,12}[^\\s]{0,8}", 0..8),
    ) {
        let _ = parse(&format!("{name} {}", words.join(" ")));
    }

    #[test]
    fn well_formed_commands_parse_to_their_options(
        task in "[a-z0-9-]{1,36}",
        status in "[a-z,-]{1,20}",
        page in 1u32..100_000,
        quoted_from in "[0-9][0-9: -]{0,17}[0-9]",
    ) {
        let text = format!("/numbers task:{task} status:{status} page:{page} from:\"{quoted_from}\"");
        let invocation = parse(&text).unwrap();
        prop_assert_eq!(invocation.name, CommandName::NUMBERS);
        prop_assert_eq!(invocation.get(OptionKey::Task), Some(task.as_str()));
        prop_assert_eq!(invocation.get(OptionKey::Status), Some(status.as_str()));
        let page_text = page.to_string();
        prop_assert_eq!(invocation.get(OptionKey::Page), Some(page_text.as_str()));
        prop_assert_eq!(invocation.get(OptionKey::From), Some(quoted_from.as_str()));
    }

    #[test]
    fn action_checking_never_panics(text in "\\PC{0,100}") {
        let signer = Signer::new(b"secret-secret-secret");
        let _ = signer.verify(&text);
    }

    #[test]
    fn signed_pages_round_trip(bits in 0u16..(1 << 13), page in 1u32..u32::MAX, task in "[a-z0-9]{1,20}") {
        let signer = Signer::new(b"secret-secret-secret");
        let token = ActionToken::Page(PageState {
            task,
            statuses: StatusSet::from_bits(bits),
            from: None,
            to: None,
            sub: None,
            page,
        });
        let data = signer.sign(&token).unwrap();
        prop_assert!(data.len() <= 64);
        prop_assert_eq!(signer.verify(&data), Ok(token));
    }
}
