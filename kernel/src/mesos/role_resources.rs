//! Taking a task's resources from an offer as the offer holds them for a role: what is
//! reserved for the role first, then what is unreserved, each piece keeping its reservation
//! and allocation so the master finds it in the offer exactly.

use mesos_lib::v1::Resource;

/// The scalars of `want` as `offered` holds them: first what is reserved for `role`, then
/// what is unreserved, each piece keeping the offer's reservation and allocation, so the
/// master finds them in the offer exactly.
pub fn take_for_role(want: &[Resource], offered: &[Resource], role: &str) -> Vec<Resource> {
    let mut out = Vec::new();
    for w in want {
        let Some(mut need) = w.scalar.as_ref().map(|s| s.value) else {
            out.push(w.clone());
            continue;
        };
        let pieces = offered
            .iter()
            .filter(|r| r.name == w.name && r.scalar.is_some());
        let (reserved, unreserved): (Vec<&Resource>, Vec<&Resource>) =
            pieces.partition(|r| r.reservation_role() == Some(role));
        for piece in reserved.into_iter().chain(unreserved) {
            if need <= 1e-9 || (piece.is_reserved() && piece.reservation_role() != Some(role)) {
                continue;
            }
            let have = piece.scalar.as_ref().map_or(0.0, |s| s.value);
            let take = need.min(have);
            if take <= 0.0 {
                continue;
            }
            let mut r = piece.clone();
            if let Some(s) = r.scalar.as_mut() {
                s.value = take;
            }
            out.push(r);
            need -= take;
        }
    }
    out
}

/// Whether `taken` holds every scalar of `want` (what [`take_for_role`] found is enough).
pub fn covers(taken: &[Resource], want: &[Resource]) -> bool {
    want.iter().all(|w| {
        let need = w.scalar.as_ref().map_or(0.0, |s| s.value);
        let got: f64 = (taken.iter().filter(|r| r.name == w.name))
            .filter_map(|r| r.scalar.as_ref().map(|s| s.value))
            .sum();
        got + 1e-9 >= need
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesos_lib::v1::resources::ReservationInfo;

    #[test]
    fn reserved_pieces_come_first_and_others_roles_never() {
        let reserved = |role: &str, v: f64| Resource {
            reservations: vec![ReservationInfo {
                role: Some(role.into()),
                ..ReservationInfo::default()
            }],
            ..Resource::scalar("cpus", v)
        };
        let offered = vec![
            Resource::scalar("cpus", 2.0).with_allocation_role("web"),
            reserved("web", 0.5),
            reserved("db", 1.0),
            Resource::scalar("mem", 512.0),
        ];
        let want = vec![Resource::scalar("cpus", 1.0), Resource::scalar("mem", 64.0)];
        let got = take_for_role(&want, &offered, "web");
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].reservation_role(), Some("web"));
        assert_eq!(got[0].scalar.as_ref().unwrap().value, 0.5);
        assert_eq!(
            got[1].allocation_info.as_ref().unwrap().role.as_deref(),
            Some("web")
        );
        assert_eq!(got[1].scalar.as_ref().unwrap().value, 0.5);
        assert_eq!(got[2].scalar.as_ref().unwrap().value, 64.0);
    }
}
