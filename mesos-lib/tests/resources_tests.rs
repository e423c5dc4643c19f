//! Resource arithmetic, flag parsing and offer matching.

use mesos_lib::resources::parse::ParsedValue;
use mesos_lib::resources::{
    AttributeSelector, ParseError, Resources, hostname_matches, offer_fits, offer_matches,
    parse_attributes, parse_resources, parse_value, ranges, scalar,
};
use mesos_lib::v1::resources::{Attribute, ReservationInfo, ReservationType, Resource, ValueType};
use mesos_lib::v1::{Offer, OfferId};
use proptest::prelude::*;

#[test]
fn scalars_use_three_decimal_fixed_point() {
    assert_eq!(scalar::add(0.1, 0.2), 0.3);
    assert_eq!(scalar::subtract(1.0, 0.9), 0.1);
    assert_eq!(scalar::normalize(0.0004), 0.0);
    assert_eq!(scalar::normalize(0.0005), 0.001);
    assert!(scalar::equal(1.0001, 1.0));
    assert!(scalar::less_or_equal(1.0004, 1.0));
    assert!(!scalar::less_or_equal(1.001, 1.0));
}

#[test]
fn ranges_coalesce_subtract_contain() {
    assert_eq!(
        ranges::coalesce([(5, 7), (1, 2), (3, 4), (10, 12), (11, 11)]),
        vec![(1, 7), (10, 12)]
    );
    assert_eq!(
        ranges::subtract(&[(1, 10)], &[(3, 4), (10, 10)]),
        vec![(1, 2), (5, 9)]
    );
    assert_eq!(ranges::subtract(&[(1, 10)], &[(0, 20)]), vec![]);
    assert!(
        ranges::contains(&[(1, 5), (6, 9)], &[(4, 7)]),
        "adjacent ranges merge before the check"
    );
    assert!(!ranges::contains(&[(1, 5), (7, 9)], &[(4, 7)]));
    assert_eq!(ranges::count(&[(31000, 32000)]), 1001);
    assert_eq!(ranges::format(&[(1, 2), (5, 5)]), "[1-2, 5-5]");
}

#[test]
fn resources_add_merges_same_kind_only() {
    let mut total = Resources::new();
    total.add(&Resource::scalar("cpus", 0.1));
    total.add(&Resource::scalar("cpus", 0.2));
    total.add(&Resource::scalar("cpus", 1.0).with_role("web"));
    total.add(&Resource::ranges("ports", [(1, 2)]));
    total.add(&Resource::ranges("ports", [(3, 5)]));
    total.add(&Resource::set("disks", ["a", "b"]));
    total.add(&Resource::set("disks", ["b", "c"]));
    assert_eq!(total.iter().count(), 4, "cpus(*), cpus(web), ports, disks");
    assert_eq!(total.cpus(), Some(1.3));
    assert_eq!(total.unreserved().cpus(), Some(0.3));
    assert_eq!(total.reserved_for("web").cpus(), Some(1.0));
    assert_eq!(total.ports(), vec![(1, 5)]);
    assert_eq!(total.set_items("disks"), vec!["a", "b", "c"]);
    assert_eq!(total.mem(), None);
}

#[test]
fn resources_subtract_and_contains() {
    let mut offer: Resources = parse_resources("cpus:2;mem:1024;ports:[31000-32000];disks:{a,b}")
        .unwrap()
        .into();
    let task: Resources = parse_resources("cpus:0.5;mem:100;ports:[31005-31005];disks:{a}")
        .unwrap()
        .into();
    assert!(offer.contains(&task));
    offer.subtract_all(&task);
    assert_eq!(offer.cpus(), Some(1.5));
    assert_eq!(offer.mem(), Some(924.0));
    assert_eq!(offer.ports(), vec![(31000, 31004), (31006, 32000)]);
    assert_eq!(offer.set_items("disks"), vec!["b"]);
    assert!(!offer.contains(&task), "port 31005 and disk a are gone");
    offer.subtract(&Resource::scalar("cpus", 5.0));
    assert_eq!(
        offer.cpus(),
        None,
        "a scalar never goes negative; the empty entry is dropped"
    );
}

#[test]
fn contains_respects_roles_but_flatten_ignores_them() {
    let reserved: Resources = vec![Resource::scalar("cpus", 2.0).with_role("web")].into();
    let wanted: Resources = vec![Resource::scalar("cpus", 1.0)].into();
    assert!(!reserved.contains(&wanted));
    assert!(reserved.flatten().contains(&wanted));
}

#[test]
fn refinement_reservations_are_recognised() {
    let mut r = Resource::scalar("mem", 64.0);
    r.reservations.push(ReservationInfo {
        reservation_type: Some(ReservationType::Dynamic),
        role: Some("db".into()),
        ..Default::default()
    });
    let all: Resources = vec![r, Resource::scalar("mem", 10.0).with_allocation_role("*")].into();
    assert_eq!(all.reserved_for("db").mem(), Some(64.0));
    assert_eq!(all.unreserved().mem(), Some(10.0));
    assert_eq!(all.allocated_to("*").mem(), Some(10.0));
}

#[test]
fn display_uses_flag_syntax() {
    let r: Resources = parse_resources("cpus(web):2;ports:[1-2,4-4]")
        .unwrap()
        .into();
    assert_eq!(r.to_string(), "cpus(web):2; ports:[1-2, 4-4]");
}

#[test]
fn parse_values_like_mesos() {
    assert_eq!(parse_value("2.5").unwrap(), ParsedValue::Scalar(2.5));
    assert_eq!(
        parse_value("[31000-32000, 1-2]").unwrap(),
        ParsedValue::Ranges(vec![(1, 2), (31000, 32000)])
    );
    assert_eq!(
        parse_value("{a, b}").unwrap(),
        ParsedValue::Set(vec!["a".into(), "b".into()])
    );
    assert_eq!(
        parse_value("r2d2").unwrap(),
        ParsedValue::Text("r2d2".into())
    );
    assert_eq!(
        parse_value("demo,dev").unwrap(),
        ParsedValue::Text("demo,dev".into())
    );
    assert_eq!(parse_value(" ").unwrap_err(), ParseError::Empty);
    assert!(matches!(
        parse_value("[1-2").unwrap_err(),
        ParseError::MismatchedBrackets(_)
    ));
    assert!(matches!(
        parse_value("a[1-2]").unwrap_err(),
        ParseError::UnexpectedBracket { bracket: '[', .. }
    ));
    assert!(matches!(
        parse_value("a{b}").unwrap_err(),
        ParseError::UnexpectedBracket { bracket: '{', .. }
    ));
    assert!(matches!(
        parse_value("[1-2-3]").unwrap_err(),
        ParseError::InvalidRanges(_)
    ));
    assert!(matches!(
        parse_value("[a-b]").unwrap_err(),
        ParseError::InvalidRanges(_)
    ));
}

#[test]
fn parse_resources_flag_syntax() {
    let r = parse_resources("cpus:2;mem:1024;ports:[31000-32000];gpus(ml):1").unwrap();
    assert_eq!(r.len(), 4);
    assert_eq!(r[0].value_type, Some(ValueType::Scalar));
    assert_eq!(r[2].ranges.as_ref().unwrap().range[0].end, 32000);
    assert_eq!(r[3].role.as_deref(), Some("ml"));
    assert!(matches!(
        parse_resources("cpus").unwrap_err(),
        ParseError::InvalidPair(_)
    ));
    assert!(matches!(
        parse_resources("cpus:").unwrap_err(),
        ParseError::InvalidPair(_)
    ));
    assert!(matches!(
        parse_resources("cpus:lots").unwrap_err(),
        ParseError::TextResource { .. }
    ));
    assert!(matches!(
        parse_resources("cpus:-1").unwrap_err(),
        ParseError::InvalidScalar { .. }
    ));
    assert!(matches!(
        parse_resources("cpus(:1").unwrap_err(),
        ParseError::MismatchedBrackets(_) | ParseError::InvalidName(_)
    ));
    assert!(matches!(
        parse_resources("(r):1").unwrap_err(),
        ParseError::InvalidName(_)
    ));
}

#[test]
fn parse_resources_json_form() {
    let r = parse_resources(r#"[{"name":"cpus","type":"SCALAR","scalar":{"value":1.5}}]"#).unwrap();
    assert_eq!(Resources::from(r).cpus(), Some(1.5));
    assert!(matches!(
        parse_resources(r#"[{"name":1}]"#).unwrap_err(),
        ParseError::Json(_)
    ));
}

#[test]
fn parse_attributes_follows_mesos_source() {
    // The tutorial agent's flag: `pod:demo,dev` is one TEXT attribute, as in src/v1/values.cpp.
    let attrs = parse_attributes("rack:r2d2;pod:demo,dev;weight:3.5;ids:[1-5]").unwrap();
    assert_eq!(attrs[0], Attribute::text("rack", "r2d2"));
    assert_eq!(attrs[1], Attribute::text("pod", "demo,dev"));
    assert_eq!(attrs[2], Attribute::scalar("weight", 3.5));
    assert_eq!(attrs[3], Attribute::ranges("ids", [(1, 5)]));
    assert_eq!(
        parse_attributes("zones:{a,b}").unwrap_err(),
        ParseError::SetAttribute("zones".into())
    );
    assert!(matches!(
        parse_attributes("rack").unwrap_err(),
        ParseError::InvalidPair(_)
    ));
    assert!(matches!(
        parse_attributes(":x").unwrap_err(),
        ParseError::InvalidPair(_)
    ));
}

#[test]
fn selectors_match_each_attribute_type() {
    let attrs = parse_attributes("rack:r2d2;pod:demo,dev;weight:3.5;ids:[1-5]").unwrap();
    let sel = |s: &str| AttributeSelector::parse(s).unwrap();
    assert!(sel("rack=r2d2").matches_any(&attrs));
    assert!(!sel("rack=c3po").matches_any(&attrs));
    assert!(sel("pod=demo,dev").matches_any(&attrs));
    assert!(!sel("pod=demo").matches_any(&attrs));
    assert!(sel("weight=3.5").matches_any(&attrs));
    assert!(
        sel("weight=3.5001").matches_any(&attrs),
        "scalars compare at Mesos precision"
    );
    assert!(!sel("weight=4").matches_any(&attrs));
    assert!(sel("ids=3").matches_any(&attrs));
    assert!(sel("ids=[2-4]").matches_any(&attrs));
    assert!(!sel("ids=6").matches_any(&attrs));
    assert!(
        sel("rack").matches_any(&attrs),
        "a bare name tests presence"
    );
    assert!(!sel("gpu").matches_any(&attrs));
    let mut set_attr = Attribute {
        name: "zones".into(),
        value_type: Some(ValueType::Set),
        ..Default::default()
    };
    set_attr.set = Some(mesos_lib::v1::resources::Set::from_items(["a", "b"]));
    assert!(sel("zones=a").matches(&set_attr));
    assert!(sel("zones={a,b}").matches(&set_attr));
    assert!(!sel("zones=c").matches(&set_attr));
    let list = AttributeSelector::parse_list("rack=r2d2;pod=demo,dev").unwrap();
    assert_eq!(list.len(), 2);
    assert!(AttributeSelector::parse("=x").is_err());
}

#[test]
fn hostname_patterns() {
    assert!(hostname_matches(
        "agent-1.example.com",
        "agent-1.example.com"
    ));
    assert!(hostname_matches(
        "Agent-1.Example.com",
        "agent-*.example.com"
    ));
    assert!(hostname_matches("a.b.c", "*"));
    assert!(hostname_matches("abcbc", "a*bc"));
    assert!(!hostname_matches(
        "agent-1.example.org",
        "agent-*.example.com"
    ));
    assert!(!hostname_matches("agent", "agent-*"));
}

fn offer() -> Offer {
    // The real offer of transcript 01, with the tutorial agent's attributes added.
    let json = r#"{"id":{"value":"O0"},"framework_id":{"value":"F"},"agent_id":{"value":"S0"},"hostname":"127.0.0.1",
      "resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}},
      {"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*","allocation_info":{"role":"*"}},
      {"name":"mem","type":"SCALAR","scalar":{"value":23081.0},"role":"*","allocation_info":{"role":"*"}}],
      "attributes":[{"name":"rack","type":"TEXT","text":{"value":"r2d2"}}]}"#;
    serde_json::from_str(json).unwrap()
}

#[test]
fn offer_fit_and_match() {
    let offer = offer();
    assert_eq!(offer.id, OfferId::new("O0"));
    let small = parse_resources("cpus:0.5;mem:128;ports:[31000-31000]").unwrap();
    let big = parse_resources("cpus:4").unwrap();
    assert!(offer_fits(&offer, &small));
    assert!(!offer_fits(&offer, &big));
    assert!(!offer_fits(
        &offer,
        &parse_resources("ports:[80-80]").unwrap()
    ));
    let rack = AttributeSelector::parse_list("rack=r2d2").unwrap();
    assert!(offer_matches(&offer, &small, &rack, Some("127.0.0.*")));
    assert!(!offer_matches(&offer, &small, &rack, Some("10.*")));
    assert!(!offer_matches(
        &offer,
        &small,
        &AttributeSelector::parse_list("rack=x").unwrap(),
        None
    ));
}

proptest! {
    #[test]
    fn range_subtract_then_add_restores(a in prop::collection::vec((0u64..500, 0u64..50), 0..8),
                                        b in prop::collection::vec((0u64..500, 0u64..50), 0..8)) {
        let a: Vec<(u64, u64)> = a.into_iter().map(|(s, l)| (s, s + l)).collect();
        let b: Vec<(u64, u64)> = b.into_iter().map(|(s, l)| (s, s + l)).collect();
        let diff = ranges::subtract(&a, &b);
        prop_assert!(ranges::contains(&a, &diff));
        let a_values: u64 = ranges::count(&a);
        let overlap = ranges::count(&ranges::subtract(&a, &diff));
        prop_assert_eq!(ranges::count(&diff) + overlap, a_values);
        prop_assert_eq!(ranges::add(&diff, &ranges::subtract(&a, &diff)), ranges::coalesce(a.clone()));
    }

    #[test]
    fn scalar_add_subtract_inverse(x in 0u32..1_000_000, y in 0u32..1_000_000) {
        let (x, y) = (f64::from(x) / 1000.0, f64::from(y) / 1000.0);
        prop_assert!(scalar::equal(scalar::subtract(scalar::add(x, y), y), x));
    }
}
