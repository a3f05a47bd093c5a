use super::*;

fn errors(text: &str) -> Vec<String> {
    match from_str("cfg.toml", text, &Overrides::default()) {
        Ok(_) => vec![],
        Err(d) => d.errors().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_minimal_config_is_valid_with_defaults() {
    let c = from_str(
        "c.toml",
        "emails = [\"sec@example.com\"]\n",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.presets[0].name, "aws-docs");
    assert_eq!(c.retention_days, 365);
    assert_eq!(c.controls.len(), 3);
    assert_eq!(c.emails(), vec!["sec@example.com".to_string()]);
}

#[test]
fn every_problem_is_reported_at_once_with_its_line() {
    let text = "region = \"mars-1\"\nemails = [\"not-an-email\"]\nretention = 3\n[bucket]\nname = \"Bad_Bucket\"\n[log_group]\nretention_days = 42\n[controls.root-account-usage]\nthreshold = \"lots\"\n[controls.nope]\ndisabled = true\n";
    let e = errors(text);
    let has = |needle: &str| e.iter().any(|x| x.contains(needle));
    // Each at the value (or key) it is about.
    assert!(has("cfg.toml:1:10: unknown region `mars-1`"), "{e:#?}");
    assert!(
        has("cfg.toml:2:11: `not-an-email` is not a valid email address"),
        "{e:#?}"
    );
    assert!(has("cfg.toml:3:1: unknown key `retention`"), "{e:#?}");
    assert!(
        has("cfg.toml:5:8: invalid bucket name `Bad_Bucket`"),
        "{e:#?}"
    );
    assert!(has("cfg.toml:7:18: retention of 42 days"), "{e:#?}");
    assert!(
        has("cfg.toml:8:11: `controls.root-account-usage`"),
        "{e:#?}"
    );
    assert!(has("[controls.nope] matches no control"), "{e:#?}");
    assert!(e.len() >= 7, "{e:#?}");
}

#[test]
fn syntax_errors_point_at_the_line() {
    let e = errors("emails = [\"a@example.com\"\nregion = 1\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("cfg.toml:"), "{e:?}");
}

#[test]
fn flags_override_the_file_and_are_validated_too() {
    let ov = Overrides {
        emails: vec!["x@".into()],
        region: Some("eu-west-1".into()),
        ..Default::default()
    };
    let d = from_str(
        "c.toml",
        "region = \"us-east-1\"\nemails = [\"a@example.com\"]\n",
        &ov,
    )
    .unwrap_err();
    let msgs: Vec<String> = d.errors().map(|e| e.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("command line: `x@` is not a valid email")),
        "{msgs:?}"
    );
    let ok = Overrides {
        region: Some("eu-west-1".into()),
        ..Default::default()
    };
    let c = from_str(
        "c.toml",
        "region = \"us-east-1\"\nemails = [\"a@example.com\"]\n",
        &ok,
    )
    .unwrap();
    assert_eq!(c.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn missing_email_is_an_error() {
    assert!(errors("").iter().any(|e| e.contains("no one to notify")));
}

#[test]
fn subscribers_of_every_protocol_are_read_in_order_without_duplicates() {
    let text = "[topics.critical]\nemails = [\"Oncall@example.com\", \"oncall@example.com\"]\nhttps = [\"https://events.pagerduty.com/integration/abc123/enqueue\", \"https://api.opsgenie.com/v1/json/amazonsns?apiKey=k\"]\nsms = [\"+14155550100\"]\nlambdas = [\"arn:aws:lambda:us-east-1:111122223333:function:notify:live\"]\n";
    let c = from_str("c.toml", text, &Overrides::default()).unwrap();
    let critical = c.topics.iter().find(|t| t.key == "critical").unwrap();
    let got: Vec<(Protocol, &str)> = critical
        .subscriptions
        .iter()
        .map(|s| (s.protocol, s.endpoint.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Protocol::Email, "Oncall@example.com"),
            (
                Protocol::Https,
                "https://events.pagerduty.com/integration/abc123/enqueue"
            ),
            (
                Protocol::Https,
                "https://api.opsgenie.com/v1/json/amazonsns?apiKey=k"
            ),
            (Protocol::Sms, "+14155550100"),
            (
                Protocol::Lambda,
                "arn:aws:lambda:us-east-1:111122223333:function:notify:live"
            ),
        ]
    );
    // A topic with subscribers other than email is enough: no top-level email needed.
    assert!(c
        .topics
        .iter()
        .any(|t| t.key == "default" && t.subscriptions.is_empty()));
}

#[test]
fn each_bad_subscriber_is_reported_at_its_place_without_its_secret() {
    let text = "emails = [\"a@example.com\"]\n[topics.pager]\nhttps = [\"http://events.pagerduty.com/integration/SECRETKEY/enqueue\", \"https://\", \"https://ok.example.com/x\"]\nsms = [\"4155550100\", \"+0155\", \"+1415555010012345\"]\nlambdas = [\"arn:aws:lambda:us-east-1:111122223333:function:\", \"arn:aws:sns:us-east-1:111122223333:t\"]\n";
    let e = errors(text);
    let has = |needle: &str| e.iter().any(|x| x.contains(needle));
    assert_eq!(e.len(), 7, "{e:#?}");
    assert!(
        has("cfg.toml:3:10: `topics.pager.https[0]` must be a URL beginning with https://"),
        "{e:#?}"
    );
    assert!(has("`topics.pager.https[1]` must name a host"), "{e:#?}");
    assert!(has("`topics.pager.sms[0]` must be in E.164 form"), "{e:#?}");
    assert!(has("`topics.pager.sms[1]`"), "{e:#?}");
    assert!(has("`topics.pager.sms[2]`"), "{e:#?}");
    assert!(has("`topics.pager.lambdas[0]` the function name"), "{e:#?}");
    assert!(
        has("`topics.pager.lambdas[1]` must be a Lambda function ARN"),
        "{e:#?}"
    );
    assert!(!e.iter().any(|x| x.contains("SECRETKEY")), "{e:#?}");
    assert!(e.iter().all(|x| x.contains("subscriber-invalid")), "{e:#?}");
}

#[test]
fn overrides_tune_alarms_topics_and_patterns() {
    let text = r#"
emails = ["a@example.com"]
[topics.critical]
emails = ["oncall@example.com"]
[controls.root-account-usage]
topic = "critical"
threshold = 3
period = 600
evaluation_periods = 2
datapoints_to_alarm = 1
[controls.ApiActivityWithoutMFA]
disabled = true
[controls.console-signin-without-mfa]
exclusions = ['$.userIdentity.type = "IAMUser"']
"#;
    let c = from_str("c.toml", text, &Overrides::default()).unwrap();
    assert_eq!(c.controls.len(), 2);
    let root = &c.controls[0];
    assert_eq!(
        (
            root.alarm.threshold,
            root.alarm.period,
            root.alarm.evaluation_periods,
            root.alarm.datapoints_to_alarm
        ),
        (3.0, 600, 2, 1)
    );
    assert_eq!(root.topic_keys, vec!["critical".to_string()]);
    let console = &c.controls[1];
    assert_eq!(
        console.pattern,
        r#"{ ($.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No") && ($.userIdentity.type = "IAMUser") }"#
    );
    assert!(console.pattern_modified);
    assert!(c
        .warnings
        .iter()
        .any(|w| w.code == Code::ExclusionsBreakExactMatch));
}

#[test]
fn invalid_overrides_are_errors() {
    let e = errors("emails = [\"a@example.com\"]\n[controls.root-account-usage]\nperiod = 45\ntopic = \"pager\"\nexclusions = ['$.a = (']\n");
    assert!(
        e.iter().any(|x| x.contains("period 45 s is not valid")),
        "{e:#?}"
    );
    assert!(
        e.iter().any(|x| x.contains("no [topics.pager] table")),
        "{e:#?}"
    );
    assert!(e.iter().any(|x| x.contains("exclusion")), "{e:#?}");
}

#[test]
fn unknown_preset_is_an_error() {
    let e = errors("emails = [\"a@example.com\"]\npreset = \"nist\"\n");
    assert!(
        e.iter().any(|x| x.contains("unknown preset `nist`")),
        "{e:#?}"
    );
}

#[test]
fn bucket_names_follow_s3_rules() {
    for ok in ["abc", "my.logs-1", "a".repeat(63).as_str()] {
        assert!(check_bucket_name(ok).is_ok(), "{ok}");
    }
    for bad in [
        "ab",
        "Abc",
        "a_b",
        "-ab",
        "ab-",
        "a..b",
        "192.168.1.1",
        "xn--abc",
        "a".repeat(64).as_str(),
    ] {
        assert!(check_bucket_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn emails_are_checked() {
    for ok in ["a@example.com", "first.last+tag@sub.example.org"] {
        assert!(valid_email(ok), "{ok}");
    }
    for bad in [
        "",
        "a",
        "a@",
        "@example.com",
        "a@example",
        "a b@example.com",
        "a@exa_mple.com",
        "a@.example.com",
    ] {
        assert!(!valid_email(bad), "{bad}");
    }
}

#[test]
fn metric_names_and_namespaces_follow_cloudwatch_logs_rules() {
    // MetricTransformation: metricName and metricNamespace match `[^:*$]*` (CloudWatch Logs
    // API Reference); a filter name may hold `$`.
    let dir = std::env::temp_dir().join(format!("tw-preset-dollar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (field, value, bad) in [
        ("metric_name", "Root$Count", true),
        ("namespace", "Cloud$Trail", true),
        ("filter_name", "Root$Usage", false),
    ] {
        let path = dir.join(format!("{field}.toml"));
        let mut control = std::collections::BTreeMap::from([
            ("id", "x".to_string()),
            ("filter_name", "X".to_string()),
            ("metric_name", "XCount".to_string()),
            ("pattern", "{ $.eventName = \"X\" }".to_string()),
        ]);
        let (slot, text) = if field == "namespace" {
            (None, format!("namespace = \"{value}\"\n"))
        } else {
            (Some(field), String::new())
        };
        if let Some(f) = slot {
            control.insert(f, value.to_string());
        }
        let body: String = control
            .iter()
            .map(|(k, v)| format!("{k} = '{v}'\n"))
            .collect();
        std::fs::write(&path, format!("name = \"p\"\n{text}[[controls]]\n{body}")).unwrap();
        let errs = errors(&format!(
            "emails = [\"a@example.com\"]\npresets = [\"{}\"]\n",
            path.display()
        ));
        let found = errs
            .iter()
            .any(|e| e.contains("name-invalid") && e.contains('$'));
        assert_eq!(found, bad, "{field} = {value}: {errs:?}");
    }
}

#[test]
fn a_negative_threshold_is_an_error() {
    let errs =
        errors("emails = [\"a@example.com\"]\n[controls.root-account-usage]\nthreshold = -1\n");
    assert!(
        errs.iter()
            .any(|e| e.contains("alarm-threshold") && e.contains("0 or more")),
        "{errs:?}"
    );
    assert!(
        errors("emails = [\"a@example.com\"]\n[controls.root-account-usage]\nthreshold = 0\n")
            .is_empty()
    );
}

#[test]
fn the_same_value_in_two_places_is_reported_where_it_is_wrong() {
    // `Audit` is a valid trail name and an invalid bucket name: the bucket's line is named, not
    // the first line holding the same text.
    let e = errors(
        "emails = [\"a@example.com\"]\n[trail]\nname = \"Audit\"\n[bucket]\nname = \"Audit\"\n",
    );
    assert_eq!(e.len(), 1, "{e:#?}");
    assert!(
        e[0].contains("cfg.toml:5:8: invalid bucket name `Audit`"),
        "{e:#?}"
    );
    let e = errors("emails = [\"a@example.com\", \"b@example.com\", \"a@b\"]\n");
    assert!(e[0].contains("cfg.toml:1:45:"), "{e:#?}");
}

#[test]
fn an_unreadable_default_config_file_is_an_error() {
    // ./trailwarden.toml that is a directory: not silently left out.
    let dir = std::env::temp_dir().join(format!("tw-unreadable-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(DEFAULT_CONFIG_FILE)).unwrap();
    let ov = Overrides {
        config: Some(dir.join(DEFAULT_CONFIG_FILE)),
        emails: vec!["a@example.com".into()],
        ..Default::default()
    };
    let err = load(&ov).unwrap_err();
    assert_eq!(err.items[0].code, Code::ConfigUnreadable);
}

#[test]
fn controls_only_need_no_email() {
    let ov = Overrides {
        config: Some(std::path::PathBuf::from("/nonexistent/but/unused")),
        ..Default::default()
    };
    // A missing explicit file is an error either way.
    assert!(load_for(&ov, Purpose::Controls).is_err());
    let cfg = from_str_for(
        "t.toml",
        "preset = \"cis\"\n",
        &Overrides::default(),
        Purpose::Controls,
    )
    .unwrap();
    assert_eq!(cfg.controls.len(), 15);
    assert!(from_str("t.toml", "preset = \"cis\"\n", &Overrides::default()).is_err());
}

#[test]
fn prices_override_the_table_and_are_checked() {
    let c = from_str(
        "c.toml",
        "emails = [\"a@example.com\"]\n[prices]\ningest_gb = 0.57\ndefault_ingest_gb_month = 20\n",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(c.prices.ingest_gb, 0.57);
    assert_eq!(c.prices.default_ingest_gb_month, 20.0);
    assert_eq!(
        c.prices.alarm_month,
        crate::cost::Prices::builtin().alarm_month
    );
    let e = errors("emails = [\"a@example.com\"]\n[prices]\ningest_gb = -1\nalarms = 0.1\n");
    assert!(
        e.iter()
            .any(|x| x.contains("cfg.toml:3:13") && x.contains("0 or more")),
        "{e:#?}"
    );
    assert!(
        e.iter()
            .any(|x| x.contains("cfg.toml:4:10") && x.contains("unknown price `alarms`")),
        "{e:#?}"
    );
}
