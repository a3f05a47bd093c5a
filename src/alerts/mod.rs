//! The last mile of the chain: proving an alarm reaches its people (`test-alarm`) and
//! explaining what fired it (`why`). Both sit beside the workflow: they read the account
//! through `aws`, decide with plain functions (tested without I/O) and return data that
//! `report` renders.

pub(crate) mod test_alarm;
pub(crate) mod why;

use crate::model::{AlarmSpec, Desired};

/// The alarms a `CONTROL` argument names: a control id (`root-account-usage`), `preset/id`, or
/// an alarm name. Case-sensitive, as the names are on AWS.
pub(crate) fn alarms_named<'a>(desired: &'a Desired, name: &str) -> Vec<&'a AlarmSpec> {
    desired
        .alarms
        .iter()
        .filter(|a| {
            a.name == name
                || a.control == name
                || a.control.split_once('/').is_some_and(|(_, id)| id == name)
        })
        .collect()
}

/// The known names, for an error that lists them.
pub(crate) fn known_names(desired: &Desired) -> String {
    desired
        .alarms
        .iter()
        .map(|a| {
            let id = a
                .control
                .split_once('/')
                .map_or(a.control.as_str(), |x| x.1);
            format!("{id} ({})", a.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
