use super::*;
use crate::model::{SubscriptionSpec, TrailState};
use crate::plan::plan;
use crate::plan::tests::{applied, basic, desired_from};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

fn line<'a>(e: &'a Estimate, item: &str) -> &'a Line {
    e.lines.iter().find(|l| l.item == item).unwrap()
}

#[test]
fn the_table_is_the_documented_us_east_1_prices() {
    let p = Prices::builtin();
    assert_eq!(
        (p.date.as_str(), p.region.as_str()),
        ("2026-02", "us-east-1")
    );
    assert_eq!(p.alarm_month, 0.10);
    assert_eq!(p.metric_month, 0.30);
    assert_eq!(p.ingest_gb, 0.50);
    assert_eq!(p.storage_gb_month, 0.03);
    assert_eq!(p.management_events_100k, 2.00);
    assert_eq!(p.sns_email_100k, 2.00);
    // Every numeric entry can be overridden by its name, and only those.
    let mut q = p.clone();
    for key in Prices::KEYS {
        assert!(q.set(key, 7.0), "{key}");
    }
    assert!(!q.set("date", 1.0));
}

#[test]
fn a_fresh_chain_with_nothing_measured() {
    // aws-docs: three alarms and three filters, one email subscriber, 365 days of retention.
    let d = basic();
    let p = plan(&d, &Actual::default());
    let e = estimate(&d, &p, &Actual::default(), None, &Prices::builtin());
    assert_eq!(e.volume.method, "default");
    assert!(close(line(&e, "alarms").month, 0.30));
    assert!(close(line(&e, "metrics").month, 0.90));
    assert!(close(line(&e, "logs-ingestion").month, 0.50));
    // 1 GB a month × 15% × (365 / 30.4375) months × $0.03.
    let storage = 1.0 * 0.15 * (365.0 / 30.4375) * 0.03;
    assert!(close(line(&e, "logs-storage").month, storage));
    // 3 alarms × 4 notifications × 1 email at $2 per 100,000.
    assert!(close(
        line(&e, "sns-deliveries").month,
        3.0 * 4.0 * 2.0 / 100_000.0
    ));
    assert!(e
        .lines
        .iter()
        .all(|l| l.item != "second-trail-management-events"));
    assert!(close(e.total_month, 0.30 + 0.90 + 0.50 + storage + 0.00024));
    assert!(!e.not_counted.is_empty());
    // The trail's delivery notifications are not estimated: said so.
    assert!(e.not_counted.iter().any(|n| n.contains("delivery_topic")));
}

#[test]
fn measured_volume_drives_ingestion_and_storage() {
    let d = desired_from("emails = [\"a@example.com\"]\n[log_group]\nretention_days = 30\n");
    let v = Volume {
        method: VolumeMethod::IncomingBytes,
        bytes_per_day: 200_000_000.0,
        detail: "test".into(),
    };
    let e = estimate(
        &d,
        &Plan::default(),
        &Actual::default(),
        Some(&v),
        &Prices::builtin(),
    );
    let gb = 0.2 * 30.4375;
    assert_eq!(e.volume.method, "incoming-bytes");
    assert!(close(e.volume.gb_month, gb));
    assert!(close(line(&e, "logs-ingestion").month, gb * 0.5));
    assert!(close(
        line(&e, "logs-storage").month,
        gb * 0.15 * (30.0 / 30.4375) * 0.03
    ));
}

#[test]
fn a_second_trail_is_charged_for_its_copy_of_management_events() {
    let d = basic();
    let existing = TrailState {
        name: "org".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org".into(),
        multi_region: true,
        ..Default::default()
    };
    let a = Actual {
        trails: vec![existing],
        ..Default::default()
    };
    let p = plan(&d, &a);
    let e = estimate(&d, &p, &a, None, &Prices::builtin());
    let l = line(&e, "second-trail-management-events");
    // 1 GB a month of 1,500-byte events at $2 per 100,000.
    let events = 1e9 / 1500.0;
    assert!(close(l.quantity, events));
    assert!(close(l.month, events / 100_000.0 * 2.0));
    // Once the chain exists, nothing is created: no second-copy line.
    let fake = applied(&d);
    let mut after = fake.snapshot();
    after.trails.push(a.trails[0].clone());
    let e = estimate(&d, &plan(&d, &after), &after, None, &Prices::builtin());
    assert!(e
        .lines
        .iter()
        .all(|l| l.item != "second-trail-management-events"));
}

#[test]
fn deliveries_are_priced_by_protocol_and_overrides_apply() {
    let mut d = basic();
    d.topics[0].subscriptions = vec![
        SubscriptionSpec::new(Protocol::Email, "a@example.com"),
        SubscriptionSpec::new(Protocol::Sms, "+14155550100"),
    ];
    let mut prices = Prices::builtin();
    prices.set("notifications_per_alarm_month", 10.0);
    prices.set("alarm_month", 0.2);
    let e = estimate(&d, &Plan::default(), &Actual::default(), None, &prices);
    let sns = line(&e, "sns-deliveries");
    assert!(close(sns.quantity, 3.0 * 10.0 * 2.0));
    assert!(close(sns.month, 30.0 * (2.0 / 100_000.0) + 30.0 * 0.00645));
    assert!(close(line(&e, "alarms").month, 0.6));
}
