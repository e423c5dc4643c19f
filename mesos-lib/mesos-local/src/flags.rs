//! The flags real masters and agents report (recorded from Mesos), with ours filled in.

use crate::config::LocalConfig;
use crate::http::auth::Realm;

fn auth_flag(cfg: &LocalConfig, realm: Realm) -> String {
    cfg.http_auth
        .as_ref()
        .is_some_and(|a| a.enforced(realm))
        .to_string()
}

/// The master flags whose values mesos-local never changes, as a real master reports them.
const MASTER_FIXED: &[(&str, &str)] = &[
    ("agent_ping_timeout", "15secs"),
    ("agent_reregister_timeout", "10mins"),
    ("allocator", "hierarchical"),
    ("allocator_agent_recovery_factor", "0.8"),
    ("allocator_recovery_timeout", "10mins"),
    ("authenticate_agents", "false"),
    ("authenticate_frameworks", "false"),
    ("authentication_v0_timeout", "15secs"),
    ("authenticators", "crammd5"),
    ("authorizers", "local"),
    ("filter_gpu_resources", "true"),
    ("framework_sorter", "drf"),
    ("help", "false"),
    ("hostname_lookup", "true"),
    ("http_authenticators", "basic"),
    ("initialize_driver_logging", "true"),
    ("log_auto_initialize", "true"),
    ("logbufsecs", "0"),
    ("logging_level", "INFO"),
    ("max_agent_ping_timeouts", "5"),
    ("max_completed_frameworks", "50"),
    ("max_completed_tasks_per_framework", "1000"),
    ("max_operator_event_stream_subscribers", "1000"),
    ("max_unreachable_tasks_per_framework", "1000"),
    ("memory_profiling", "false"),
    ("offer_constraints_re2_max_mem", "4KB"),
    ("offer_constraints_re2_max_program_size", "100"),
    ("publish_per_framework_metrics", "true"),
    ("quiet", "false"),
    ("recovery_agent_removal_limit", "100%"),
    ("registry", "in_memory"),
    ("registry_fetch_timeout", "1mins"),
    ("registry_gc_interval", "15mins"),
    ("registry_max_agent_age", "2weeks"),
    ("registry_max_agent_count", "102400"),
    ("registry_store_timeout", "20secs"),
    ("registry_strict", "false"),
    ("require_agent_domain", "false"),
    ("role_sorter", "drf"),
    ("root_submissions", "true"),
    ("version", "false"),
    ("webui_dir", "/usr/share/mesos/webui"),
    ("zk_session_timeout", "10secs"),
];

/// The agent flags whose values mesos-local never changes, as a real agent reports them.
const AGENT_FIXED: &[(&str, &str)] = &[
    ("appc_simple_discovery_uri_prefix", "http://"),
    ("appc_store_dir", "/tmp/mesos/store/appc"),
    ("authenticate_http_readonly", "false"),
    ("authenticate_http_readwrite", "false"),
    ("authenticatee", "crammd5"),
    ("authentication_backoff_factor", "1secs"),
    ("authentication_timeout_max", "1mins"),
    ("authentication_timeout_min", "5secs"),
    ("authorizer", "local"),
    ("cgroups_cpu_enable_pids_and_tids_count", "false"),
    ("cgroups_destroy_timeout", "1mins"),
    ("cgroups_enable_cfs", "false"),
    ("cgroups_hierarchy", "/sys/fs/cgroup"),
    ("cgroups_limit_swap", "false"),
    ("cgroups_root", "mesos"),
    ("container_disk_watch_interval", "15secs"),
    ("containerizers", "mesos"),
    ("default_role", "*"),
    ("disallow_sharing_agent_ipc_namespace", "false"),
    ("disallow_sharing_agent_pid_namespace", "false"),
    ("disk_watch_interval", "1mins"),
    ("docker", "docker"),
    ("docker_ignore_runtime", "false"),
    ("docker_kill_orphans", "true"),
    ("docker_registry", "https://registry-1.docker.io"),
    ("docker_remove_delay", "6hrs"),
    ("docker_socket", "/var/run/docker.sock"),
    ("docker_stop_timeout", "0ns"),
    ("docker_store_dir", "/tmp/mesos/store/docker"),
    (
        "docker_volume_checkpoint_dir",
        "/var/run/mesos/isolators/docker/volume",
    ),
    ("docker_volume_chown", "false"),
    ("enforce_container_disk_quota", "false"),
    ("executor_reregistration_timeout", "2secs"),
    ("executor_shutdown_grace_period", "5secs"),
    ("fetcher_cache_dir", "/tmp/mesos/fetch"),
    ("fetcher_cache_size", "2GB"),
    ("fetcher_stall_timeout", "1mins"),
    ("frameworks_home", ""),
    ("gc_delay", "1weeks"),
    ("gc_disk_headroom", "0.1"),
    ("gc_non_executor_container_sandboxes", "false"),
    ("help", "false"),
    ("hostname_lookup", "true"),
    ("http_command_executor", "false"),
    ("http_executor_domain_sockets", "false"),
    ("http_heartbeat_interval", "30secs"),
    ("initialize_driver_logging", "true"),
    ("isolation", "posix/cpu,posix/mem"),
    ("launcher", "posix"),
    ("launcher_dir", "/usr/libexec/mesos"),
    ("logbufsecs", "0"),
    ("logging_level", "INFO"),
    ("max_completed_executors_per_framework", "150"),
    ("memory_profiling", "false"),
    ("network_cni_metrics", "true"),
    ("network_cni_root_dir_persist", "false"),
    ("oversubscribed_resources_interval", "15secs"),
    ("perf_duration", "10secs"),
    ("perf_interval", "1mins"),
    ("qos_correction_interval_min", "0ns"),
    ("quiet", "false"),
    ("reconfiguration_policy", "equal"),
    ("recover", "reconnect"),
    ("recovery_timeout", "15mins"),
    ("registration_backoff_factor", "1secs"),
    ("revocable_cpu_low_priority", "true"),
    ("runtime_dir", "/var/run/mesos"),
    ("sandbox_directory", "/mnt/mesos/sandbox"),
    ("strict", "true"),
    ("switch_user", "true"),
    ("systemd_enable_support", "false"),
    ("systemd_runtime_directory", "/run/systemd/system"),
    ("version", "false"),
    ("zk_session_timeout", "10secs"),
];

/// `fixed` and `ours`, in the order Mesos lists flags (by name: a JSON object of a `std::map`).
fn listed(
    fixed: &[(&'static str, &str)],
    ours: Vec<(&'static str, String)>,
) -> Vec<(&'static str, String)> {
    let mut flags: Vec<_> = fixed.iter().map(|(k, v)| (*k, v.to_string())).collect();
    flags.extend(ours);
    flags.sort_by_key(|(k, _)| *k);
    flags
}

/// The master flags, in the order Mesos lists them.
pub(crate) fn master_flags(
    cfg: &LocalConfig,
    port: u16,
    work_dir: &str,
) -> Vec<(&'static str, String)> {
    let mut ours = vec![
        (
            "allocation_interval",
            format_duration(cfg.allocation_interval),
        ),
        (
            "authenticate_http_frameworks",
            auth_flag(cfg, Realm::Scheduler),
        ),
        (
            "authenticate_http_readonly",
            auth_flag(cfg, Realm::ReadOnly),
        ),
        (
            "authenticate_http_readwrite",
            auth_flag(cfg, Realm::ReadWrite),
        ),
        ("hostname", cfg.advertised_hostname()),
        ("ip", cfg.ip.to_string()),
        (
            "min_allocatable_resources",
            cfg.min_allocatable_resources
                .clone()
                .unwrap_or_else(|| crate::allocator::DEFAULT_MIN_ALLOCATABLE.to_string()),
        ),
        ("port", port.to_string()),
        ("work_dir", work_dir.to_string()),
    ];
    // Only when set, as every optional flag of a real master.
    if let Some(w) = &cfg.weights {
        ours.push(("weights", w.clone()));
    }
    listed(MASTER_FIXED, ours)
}

/// The agent flags, in the order Mesos lists them.
pub(crate) fn agent_flags(
    cfg: &LocalConfig,
    port: u16,
    work_dir: &str,
    master: &str,
) -> Vec<(&'static str, String)> {
    let ours = vec![
        (
            "executor_registration_timeout",
            crate::agent::custom_executor::stout_duration(cfg.executor_registration_timeout),
        ),
        ("hostname", cfg.advertised_hostname()),
        ("ip", cfg.ip.to_string()),
        ("master", master.to_string()),
        ("port", port.to_string()),
        ("work_dir", work_dir.to_string()),
    ];
    listed(AGENT_FIXED, ours)
}

/// Mesos's duration text: `1secs`, `500ms`, `15secs`.
pub(crate) fn format_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}secs", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(flags: &[(&'static str, String)]) -> Vec<&'static str> {
        flags.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn flags_are_listed_by_name_once_each_with_ours_filled_in() {
        let mut cfg = LocalConfig::default();
        let master = master_flags(&cfg, 5050, "/w");
        let agent = agent_flags(&cfg, 5051, "/a", "127.0.0.1:5050");
        for flags in [&master, &agent] {
            let mut sorted = names(flags);
            sorted.sort();
            sorted.dedup();
            assert_eq!(names(flags), sorted);
        }
        let get = |flags: &[(&str, String)], k: &str| {
            flags.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        assert_eq!(get(&master, "port").as_deref(), Some("5050"));
        assert_eq!(get(&agent, "master").as_deref(), Some("127.0.0.1:5050"));
        assert_eq!(get(&master, "authenticators").as_deref(), Some("crammd5"));
        assert_eq!(get(&master, "weights"), None);
        cfg.weights = Some("dev=2".into());
        let weighted = master_flags(&cfg, 5050, "/w");
        assert_eq!(get(&weighted, "weights").as_deref(), Some("dev=2"));
        assert_eq!(weighted.len(), master.len() + 1);
    }
}
