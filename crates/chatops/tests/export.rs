//! `/export` against the simulator over real HTTP: the files parse back (csv crate, calamine) to
//! exactly the simulator's numbers for the filter, phones masked unless configured, formulas
//! inert, Cancel leaves no file, viewers are refused, files over the upload limit are gzipped
//! or split, and every export is audited.
#![allow(clippy::unwrap_used)] // tests may panic

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_chatops::{
    AttachmentKind, Caller, Engine, EngineConfig, Progress, ProgressUpdate, Reply, ReplyKind,
    TransportProfile,
};
use agent_core::{AgentClient, ApiConfig, CallStatus, NumberRecord};
use agent_sim::{DEMO_TASK_ID, SimConfig, SimHandle};
use calamine::{Data, Reader as _};
use support::{client, shell};

struct World {
    sim: SimHandle,
    engine: Engine,
    dir: tempfile::TempDir,
    exports: tempfile::TempDir,
}

impl World {
    async fn new(size: usize, extra: &str) -> Self {
        Self::with(size, extra, agent_sim::Faults::default(), |_, _| {}).await
    }

    async fn with(
        size: usize,
        extra: &str,
        faults: agent_sim::Faults,
        adjust: impl FnOnce(&mut EngineConfig, &mut TransportProfile),
    ) -> Self {
        let sim = agent_sim::start(SimConfig {
            size,
            faults,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let api = ApiConfig::from_lookup(sim.env()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let exports = tempfile::tempdir().unwrap();
        let toml = format!(
            r#"
            [chatops]
            secret = "test-secret-0123456789"
            rate_limit_per_minute = 0
            audit_log = "{}"
            export_dir = "{}"
            operators = ["shell:alice", "shell:bob"]
            viewers = ["shell:victor"]
            {extra}
            [chatops.tasks]
            demo = "{DEMO_TASK_ID}"
            "#,
            dir.path().join("audit.jsonl").display(),
            exports.path().display(),
        );
        let mut config = EngineConfig::from_text(&toml).unwrap();
        config.progress_every = Duration::from_millis(20);
        let mut profile = TransportProfile::default();
        adjust(&mut config, &mut profile);
        let engine = Engine::new_for(AgentClient::new(&api).unwrap(), config, profile);
        Self {
            sim,
            engine,
            dir,
            exports,
        }
    }

    /// The simulator's numbers that match `keep`, in id order.
    fn expected(&self, keep: impl Fn(&NumberRecord) -> bool) -> Vec<NumberRecord> {
        self.sim
            .snapshot(DEMO_TASK_ID)
            .into_iter()
            .filter(|r| keep(r))
            .collect()
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Starts `text` as `who` and waits for its first progress with rows written: the export
    /// running, and that progress.
    async fn export_under_way(
        &self,
        who: &str,
        text: &str,
    ) -> (tokio::task::JoinHandle<Reply>, ProgressUpdate) {
        let (updates, sink) = progress_log();
        let (engine, who, text) = (self.engine.clone(), shell(who), text.to_string());
        let running =
            tokio::spawn(async move { engine.handle_text_with_progress(&who, &text, sink).await });
        (running, rows_under_way(&updates).await)
    }

    /// Files left in the export folder.
    fn leftovers(&self) -> usize {
        std::fs::read_dir(self.exports.path()).unwrap().count()
    }
}

fn status_is(codes: &'static [i64]) -> impl Fn(&NumberRecord) -> bool {
    move |r| codes.contains(&*r.status)
}

/// The CSV's rows (header first), BOM checked and stripped by the csv crate.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a byte-order mark first"
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The first progress update with rows written, within a deadline far beyond any machine's
/// need (a slow machine waits longer; a hang fails instead of running forever).
async fn rows_under_way(updates: &Arc<Mutex<Vec<ProgressUpdate>>>) -> ProgressUpdate {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(update) = updates.lock().unwrap().iter().rev().find(|u| u.done > 0) {
                break update.clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("no progress with rows within 60 s")
}

/// A progress sink that keeps every update.
fn progress_log() -> (Arc<Mutex<Vec<ProgressUpdate>>>, Progress) {
    let updates: Arc<Mutex<Vec<ProgressUpdate>>> = Arc::default();
    let sink = {
        let updates = updates.clone();
        Arc::new(move |update: ProgressUpdate| updates.lock().unwrap().push(update))
    };
    (updates, sink)
}

/// A slow platform: 30 ms a page, so an export of 20,000 numbers runs for seconds.
fn slow() -> agent_sim::Faults {
    agent_sim::Faults {
        latency: agent_sim::Latency::Fixed(Duration::from_millis(30)),
        ..agent_sim::Faults::default()
    }
}

fn only_document(reply: &Reply) -> Vec<u8> {
    assert_eq!(reply.kind, ReplyKind::Done, "{}", reply.to_plain_text());
    assert_eq!(reply.attachments.len(), 1, "{reply:?}");
    let attachment = &reply.attachments[0];
    assert_eq!(attachment.kind, AttachmentKind::Document);
    attachment.data.read().unwrap()
}

#[tokio::test]
async fn csv_rows_are_the_simulators_numbers_in_order_and_masked() {
    let world = World::new(1500, "").await;
    let reply = world
        .engine
        .handle_text(
            &shell("alice"),
            "/export task:demo status:busy,no-answer format:csv",
        )
        .await;
    let name = reply.attachments[0].name.clone();
    assert!(
        name.starts_with("demo-no-answer+busy-") && name.ends_with(".csv"),
        "{name}"
    );
    assert_eq!(reply.attachments[0].media_type, "text/csv");
    let rows = csv_rows(&only_document(&reply));
    let expected = world.expected(status_is(&[8, 4]));
    assert!(expected.len() > 50, "a filter with enough numbers");
    assert_eq!(
        rows.len(),
        expected.len() + 1,
        "a header and one row per number"
    );
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows[0][1], "phone");
    assert_eq!(rows[0].len(), 19);
    for (row, record) in rows[1..].iter().zip(&expected) {
        assert_eq!(row[0], record.id.to_string(), "same ids, in order");
        assert_eq!(row[1], agent_core::mask_number(&record.number));
        assert_ne!(row[1], record.number, "masked by default");
        assert_eq!(row[2], record.status.to_string());
        assert_eq!(row[4], record.city.clone().unwrap_or_default());
        assert_eq!(
            row[9],
            record
                .created_at
                .datetime()
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string(),
            "China time as the platform gives it"
        );
    }
    assert!(reply.lines.iter().any(|l| l.contains("masked")));
    assert!(!reply.private, "a masked file may be seen by the chat");
    // Audited: who, where, the filter, rows, masked.
    let audit = world.audit();
    let line = audit.last().unwrap();
    assert_eq!(line["event"], "exported");
    assert_eq!(line["actor"], "shell:user:alice");
    assert_eq!(line["chat"], "terminal");
    assert_eq!(line["matched"], expected.len());
    assert!(line["filter"].as_str().unwrap().contains("busy"));
    assert!(
        line["outcome"]
            .as_str()
            .unwrap()
            .contains("csv, masked phones")
    );
    drop(reply);
    assert_eq!(
        world.leftovers(),
        0,
        "the temporary file goes with the reply"
    );
}

#[tokio::test]
async fn whole_phones_only_when_configured_and_privately() {
    let world = World::new(300, "export_full_phones = true").await;
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await;
    assert!(reply.private, "whole phones go to the exporter alone");
    let rows = csv_rows(&only_document(&reply));
    let expected = world.expected(|_| true);
    assert_eq!(rows.len(), expected.len() + 1);
    for (row, record) in rows[1..].iter().zip(&expected) {
        assert_eq!(row[0], record.id.to_string());
        assert_eq!(row[1], record.number, "whole");
    }
    let audit = world.audit();
    assert!(
        audit.last().unwrap()["outcome"]
            .as_str()
            .unwrap()
            .contains("whole phones")
    );
}

#[tokio::test]
async fn formulas_and_phones_in_the_platforms_strings_come_out_inert() {
    let world = World::new(200, "").await;
    let first = world.expected(|_| true)[0].clone();
    let second = world.expected(|_| true)[1].clone();
    assert!(world.sim.set_extra(
        DEMO_TASK_ID,
        first.id,
        "=HYPERLINK(\"http://evil.example\",\"click\")"
    ));
    assert!(
        world
            .sim
            .set_extra(DEMO_TASK_ID, second.id, "call 13812345678")
    );
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await;
    let rows = csv_rows(&only_document(&reply));
    let extra = rows[0].len() - 1;
    assert_eq!(rows[1][0], first.id.to_string());
    assert_eq!(
        rows[1][extra], "'=HYPERLINK(\"http://evil.example\",\"click\")",
        "a leading apostrophe: a spreadsheet shows it as text"
    );
    assert!(
        !rows[2][extra].contains("13812345678"),
        "{}",
        rows[2][extra]
    );
}

#[tokio::test]
async fn xlsx_parses_back_with_text_phones_and_real_dates() {
    let world = World::new(400, "").await;
    let reply = world
        .engine
        .handle_text(
            &shell("alice"),
            "/export task:demo status:retryable format:xlsx",
        )
        .await;
    assert!(reply.attachments[0].name.ends_with(".xlsx"));
    let bytes = only_document(&reply);
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let retryable = agent_core::StatusGroup::Retryable.statuses();
    let expected = world.expected(|r| retryable.contains(CallStatus::from_wire(&r.status)));
    assert!(!expected.is_empty());
    assert_eq!(rows.len(), expected.len() + 1);
    assert_eq!(rows[0][1], Data::String("phone".into()));
    for (row, record) in rows[1..].iter().zip(&expected) {
        assert_eq!(row[0], Data::Float(record.id as f64), "same ids, in order");
        assert_eq!(
            row[1],
            Data::String(agent_core::mask_number(&record.number)),
            "the phone is text"
        );
        match &row[9] {
            Data::DateTime(time) => {
                let created = record.created_at.datetime();
                let (y, m, d, h, mi, s, _) = time.to_ymd_hms_milli();
                assert_eq!(
                    (y, m, d, h, mi, s),
                    (
                        created.year() as u16,
                        created.month() as u8,
                        created.day() as u8,
                        created.hour() as u8,
                        created.minute() as u8,
                        created.second() as u8
                    )
                );
            }
            other => panic!("a real date cell, not {other:?}"),
        }
    }
}

#[tokio::test]
async fn chinese_headers_for_chinese_readers() {
    let world = World::new(50, "").await;
    let caller = Caller {
        locale: Some("zh-CN".into()),
        ..shell("alice")
    };
    let reply = world.engine.handle_text(&caller, "/export task:demo").await;
    let rows = csv_rows(&only_document(&reply));
    assert_eq!(rows[0][1], "号码");
    assert!(
        rows[1..].iter().all(|r| !r[3].is_ascii()),
        "labels in Chinese"
    );
}

#[tokio::test]
async fn viewers_are_refused_and_exporters_can_be_anyone_configured() {
    let world = World::new(50, "").await;
    let reply = world
        .engine
        .handle_text(&shell("victor"), "/export task:demo")
        .await;
    assert_eq!(reply.kind, ReplyKind::Refused);
    assert!(reply.attachments.is_empty());
    assert!(reply.to_plain_text().contains("exporter"));

    let world = World::new(50, r#"exporters = ["shell:victor"]"#).await;
    let reply = world
        .engine
        .handle_text(&shell("victor"), "/export task:demo")
        .await;
    assert_eq!(reply.kind, ReplyKind::Done, "{}", reply.to_plain_text());
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await;
    assert_eq!(
        reply.kind,
        ReplyKind::Refused,
        "exporters replace the operators"
    );
    let reply = world
        .engine
        .handle_text(&shell("victor"), "/export task:demo format:pdf")
        .await;
    assert_eq!(reply.kind, ReplyKind::Error);
    assert!(reply.to_plain_text().contains("csv or xlsx"));
}

#[tokio::test]
async fn cancel_mid_export_leaves_no_file_and_says_so() {
    let world = World::with(20_000, "", slow(), |_, _| {}).await;
    // Wait for some rows, then press the progress message's Cancel.
    let (running, update) = world.export_under_way("alice", "/export task:demo").await;
    assert!(update.done < update.total);
    assert!(
        update.reply.lines[0].contains("of 20,000"),
        "{:?}",
        update.reply
    );
    let stop = update.reply.actions[0].clone();
    assert_eq!(world.leftovers(), 1, "the partial file while it runs");
    // Someone else may not stop it.
    let refused = world.engine.press(&shell("bob"), &stop.data).await;
    assert_eq!(refused.kind, ReplyKind::Refused);
    let pressed = world.engine.press(&shell("alice"), &stop.data).await;
    assert_eq!(pressed.kind, ReplyKind::Info, "{}", pressed.to_plain_text());
    let reply = running.await.unwrap();
    assert_eq!(reply.title, "Export cancelled");
    assert!(reply.to_plain_text().contains("deleted"));
    assert!(reply.attachments.is_empty());
    assert_eq!(world.leftovers(), 0, "no file left");
    assert_eq!(world.engine.running_exports(), 0);
    let again = world.engine.press(&shell("alice"), &stop.data).await;
    assert!(again.to_plain_text().contains("not running"));
}

#[tokio::test]
async fn over_the_upload_limit_a_csv_is_gzipped_or_split() {
    // Gzip: a limit between the gzipped size and the CSV's.
    let plain = World::new(3000, "").await;
    let csv_size = plain
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await
        .attachments[0]
        .data
        .len();
    let limit = csv_size * 3 / 4;
    let world = World::with(3000, "", agent_sim::Faults::default(), |_, profile| {
        profile.upload_limit = Some(limit);
    })
    .await;
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await;
    let attachment = &reply.attachments[0];
    assert!(attachment.name.ends_with(".csv.gz"), "{}", attachment.name);
    assert!(attachment.data.len() <= limit);
    let mut csv = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&attachment.data.read().unwrap()[..]),
        &mut csv,
    )
    .unwrap();
    assert!(csv.len() as u64 > limit, "the CSV itself is over the limit");
    assert_eq!(csv_rows(&csv).len(), 3001);
    assert!(reply.to_plain_text().contains("gzipped"));

    // Split: even gzipped it is over; parts of at most the limit, each with the header.
    let world = World::with(3000, "", agent_sim::Faults::default(), |_, profile| {
        profile.upload_limit = Some(40_000);
    })
    .await;
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await;
    assert!(reply.attachments.len() > 2, "{}", reply.attachments.len());
    let mut ids = Vec::new();
    for (i, part) in reply.attachments.iter().enumerate() {
        assert!(
            part.name.ends_with(&format!("-part{}.csv", i + 1)),
            "{}",
            part.name
        );
        assert!(part.data.len() <= 40_000);
        let rows = csv_rows(&part.data.read().unwrap());
        assert_eq!(rows[0][0], "id");
        ids.extend(rows[1..].iter().map(|r| r[0].parse::<i64>().unwrap()));
    }
    let expected: Vec<i64> = world.expected(|_| true).iter().map(|r| r.id).collect();
    assert_eq!(ids, expected, "every number once, in order");
    assert!(reply.to_plain_text().contains("parts"));
    drop(reply);

    // An Excel file over the limit is refused with advice, and nothing is left.
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo format:xlsx")
        .await;
    assert_eq!(reply.kind, ReplyKind::Error);
    assert!(reply.to_plain_text().contains("format:csv"));
    assert_eq!(world.leftovers(), 0);
}

#[tokio::test]
async fn an_export_whose_audit_line_cannot_be_written_is_not_delivered() {
    let world = World::new(300, "").await;
    // The audit log's path is a folder: no line can be appended to it.
    let blocked = world.dir.path().join("audit-is-a-folder");
    std::fs::create_dir(&blocked).unwrap();
    let world = World {
        engine: Engine::new(client(&world.sim, 1), {
            let mut config = world.engine.config().clone();
            config.audit_log = Some(blocked.clone());
            config
        }),
        ..world
    };
    let reply = world
        .engine
        .handle_text(&shell("alice"), "/export task:demo")
        .await;
    assert_eq!(reply.kind, ReplyKind::Error, "{}", reply.to_plain_text());
    assert!(reply.attachments.is_empty(), "nothing delivered unaudited");
    assert!(
        reply.to_plain_text().contains("audit"),
        "{}",
        reply.to_plain_text()
    );
    drop(reply);
    assert_eq!(world.leftovers(), 0, "no file left behind");
    assert_eq!(
        std::fs::read_dir(&blocked).unwrap().count(),
        0,
        "nothing written where the audit log should be"
    );
}

#[tokio::test]
async fn a_platform_failing_mid_export_fails_it_and_delivers_no_file() {
    let world = World::with(20_000, "", slow(), |_, _| {}).await;
    let world = World {
        // Three attempts a request, millisecond backoffs: the failure below outlasts them.
        engine: Engine::new(client(&world.sim, 3), world.engine.config().clone()),
        ..world
    };
    let (running, update) = world.export_under_way("alice", "/export task:demo").await;
    // Some pages are in; from now on the platform answers 500, more often than the retries.
    assert!(update.done < 20_000);
    world.sim.inject(agent_sim::Fault::ServerError, 1_000);
    let reply = running.await.unwrap();
    assert_eq!(reply.kind, ReplyKind::Error, "{}", reply.to_plain_text());
    assert!(
        reply.attachments.is_empty(),
        "a truncated file is never sent"
    );
    assert!(reply.to_plain_text().contains("deleted"));
    assert_eq!(world.leftovers(), 0, "the partial file is gone");
    assert!(
        world.audit().iter().all(|line| line["event"] != "exported"),
        "a failed export is not audited as exported: {:?}",
        world.audit()
    );
}

#[tokio::test]
async fn shutdown_cancels_a_running_export_and_leaves_no_file() {
    let world = World::with(20_000, "", slow(), |config, _| {
        config.shutdown_grace = Duration::from_secs(120);
    })
    .await;
    let (running, update) = world.export_under_way("alice", "/export task:demo").await;
    assert!(update.done < 20_000);
    assert_eq!(world.leftovers(), 1, "the partial file while it runs");
    let shutdown = world.engine.shutdown().await;
    assert!(shutdown.drained, "the export stopped within the grace");
    let reply = running.await.unwrap();
    assert_eq!(reply.title, "Export cancelled", "{}", reply.to_plain_text());
    assert!(reply.attachments.is_empty());
    assert_eq!(world.leftovers(), 0, "no partial file left");
    assert_eq!(world.engine.running_exports(), 0);
}

/// A phone in every string field the platform gives: a masked export shows none of them whole,
/// in CSV and Excel; with `export_full_phones` every field is as the platform gave it.
#[tokio::test]
async fn a_phone_in_any_string_field_is_masked_in_every_column() {
    const PHONE: &str = "13912340042";
    let fields = agent_sim::TextField::ALL;
    for (extra, masked) in [("", true), ("export_full_phones = true", false)] {
        let world = World::new(60, extra).await;
        let records = world.expected(|_| true);
        // Row i carries the phone in field i (and the first row in all of them).
        for (i, field) in fields.iter().enumerate() {
            for record in [&records[0], &records[i + 1]] {
                assert!(world.sim.set_field(
                    DEMO_TASK_ID,
                    record.id,
                    *field,
                    &format!("ref {PHONE} end")
                ));
            }
        }
        for format in ["csv", "xlsx"] {
            let reply = world
                .engine
                .handle_text(
                    &shell("alice"),
                    &format!("/export task:demo format:{format}"),
                )
                .await;
            let bytes = only_document(&reply);
            let cells: Vec<Vec<String>> = if format == "csv" {
                csv_rows(&bytes)
            } else {
                let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
                let range = workbook.worksheet_range_at(0).unwrap().unwrap();
                range
                    .rows()
                    .map(|row| row.iter().map(ToString::to_string).collect())
                    .collect()
            };
            let whole: Vec<(usize, usize)> = cells
                .iter()
                .enumerate()
                .flat_map(|(r, row)| {
                    row.iter()
                        .enumerate()
                        .filter(|(_, cell)| cell.contains(PHONE))
                        .map(move |(c, _)| (r, c))
                })
                .collect();
            if masked {
                assert!(whole.is_empty(), "{format}: whole phones at {whole:?}");
            } else {
                // Every field the file carries (status_str is never shown: labels come from
                // the status code), on the rows that were given the phone.
                let carried = fields.len() - 1;
                assert!(
                    whole.iter().filter(|(r, _)| *r == 1).count() >= carried,
                    "{format}: the first row keeps the phone in every field: {whole:?}"
                );
                for (i, field) in fields.iter().take(carried).enumerate() {
                    assert!(
                        whole.iter().any(|(r, _)| *r == i + 2),
                        "{format}: row {} keeps field {field:?} whole",
                        i + 2,
                    );
                }
            }
        }
    }
}
