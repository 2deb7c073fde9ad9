//! What the bots' `/export` tests share, included by `#[path]` as `redis_server.rs` is: the
//! simulator's records a file should hold, and the check that a CSV file holds them.
#![allow(dead_code)] // each test file uses a part

use agent_core::NumberRecord;
use agent_sim::SimHandle;

/// The records of the demo task with `status`, as the simulator holds them, in id order.
pub fn records(sim: &SimHandle, status: i64) -> Vec<NumberRecord> {
    sim.snapshot(agent_sim::DEMO_TASK_ID)
        .into_iter()
        .filter(|r| *r.status == status)
        .collect()
}

/// The CSV file `content` has one row per `expected` record (not none): the same ids, in order,
/// phones masked.
pub fn assert_masked_rows(content: &[u8], expected: &[NumberRecord]) {
    let mut reader = csv::Reader::from_reader(content);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!expected.is_empty());
    assert_eq!(rows.len(), expected.len(), "same count");
    for (row, record) in rows.iter().zip(expected) {
        assert_eq!(row[0], record.id.to_string(), "same ids, in order");
        assert_eq!(row[1], agent_core::mask_number(&record.number), "masked");
    }
}
