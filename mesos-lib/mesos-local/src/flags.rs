//! The flags real masters and agents report (recorded from Mesos), with ours filled in.

use crate::config::LocalConfig;
use crate::http::auth::Realm;

fn auth_flag(cfg: &LocalConfig, realm: Realm) -> String {
    cfg.http_auth
        .as_ref()
        .is_some_and(|a| a.enforced(realm))
        .to_string()
}

/// The master flags, in the order Mesos lists them.
pub(crate) fn master_flags(
    cfg: &LocalConfig,
    port: u16,
    work_dir: &str,
) -> Vec<(&'static str, String)> {
    let mut flags = vec![
        ("agent_ping_timeout", "15secs".to_string()),
        ("agent_reregister_timeout", "10mins".to_string()),
        (
            "allocation_interval",
            format_duration(cfg.allocation_interval),
        ),
        ("allocator", "hierarchical".to_string()),
        ("allocator_agent_recovery_factor", "0.8".to_string()),
        ("allocator_recovery_timeout", "10mins".to_string()),
        ("authenticate_agents", "false".to_string()),
        ("authenticate_frameworks", "false".to_string()),
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
        ("authentication_v0_timeout", "15secs".to_string()),
        ("authenticators", "crammd5".to_string()),
        ("authorizers", "local".to_string()),
        ("filter_gpu_resources", "true".to_string()),
        ("framework_sorter", "drf".to_string()),
        ("help", "false".to_string()),
        ("hostname", cfg.advertised_hostname()),
        ("hostname_lookup", "true".to_string()),
        ("http_authenticators", "basic".to_string()),
        ("initialize_driver_logging", "true".to_string()),
        ("ip", cfg.ip.to_string()),
        ("log_auto_initialize", "true".to_string()),
        ("logbufsecs", "0".to_string()),
        ("logging_level", "INFO".to_string()),
        ("max_agent_ping_timeouts", "5".to_string()),
        ("max_completed_frameworks", "50".to_string()),
        ("max_completed_tasks_per_framework", "1000".to_string()),
        ("max_operator_event_stream_subscribers", "1000".to_string()),
        ("max_unreachable_tasks_per_framework", "1000".to_string()),
        ("memory_profiling", "false".to_string()),
        (
            "min_allocatable_resources",
            cfg.min_allocatable_resources
                .clone()
                .unwrap_or_else(|| crate::allocator::DEFAULT_MIN_ALLOCATABLE.to_string()),
        ),
        ("offer_constraints_re2_max_mem", "4KB".to_string()),
        ("offer_constraints_re2_max_program_size", "100".to_string()),
        ("port", port.to_string()),
        ("publish_per_framework_metrics", "true".to_string()),
        ("quiet", "false".to_string()),
        ("recovery_agent_removal_limit", "100%".to_string()),
        ("registry", "in_memory".to_string()),
        ("registry_fetch_timeout", "1mins".to_string()),
        ("registry_gc_interval", "15mins".to_string()),
        ("registry_max_agent_age", "2weeks".to_string()),
        ("registry_max_agent_count", "102400".to_string()),
        ("registry_store_timeout", "20secs".to_string()),
        ("registry_strict", "false".to_string()),
        ("require_agent_domain", "false".to_string()),
        ("role_sorter", "drf".to_string()),
        ("root_submissions", "true".to_string()),
        ("version", "false".to_string()),
        ("webui_dir", "/usr/share/mesos/webui".to_string()),
        ("work_dir", work_dir.to_string()),
        ("zk_session_timeout", "10secs".to_string()),
    ];
    // Only when set, as every optional flag of a real master.
    if let Some(w) = &cfg.weights {
        let at = flags
            .iter()
            .position(|(k, _)| *k > "weights")
            .unwrap_or(flags.len());
        flags.insert(at, ("weights", w.clone()));
    }
    flags
}

/// The agent flags, in the order Mesos lists them.
pub(crate) fn agent_flags(
    cfg: &LocalConfig,
    port: u16,
    work_dir: &str,
    master: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("appc_simple_discovery_uri_prefix", "http://".to_string()),
        ("appc_store_dir", "/tmp/mesos/store/appc".to_string()),
        ("authenticate_http_readonly", "false".to_string()),
        ("authenticate_http_readwrite", "false".to_string()),
        ("authenticatee", "crammd5".to_string()),
        ("authentication_backoff_factor", "1secs".to_string()),
        ("authentication_timeout_max", "1mins".to_string()),
        ("authentication_timeout_min", "5secs".to_string()),
        ("authorizer", "local".to_string()),
        (
            "cgroups_cpu_enable_pids_and_tids_count",
            "false".to_string(),
        ),
        ("cgroups_destroy_timeout", "1mins".to_string()),
        ("cgroups_enable_cfs", "false".to_string()),
        ("cgroups_hierarchy", "/sys/fs/cgroup".to_string()),
        ("cgroups_limit_swap", "false".to_string()),
        ("cgroups_root", "mesos".to_string()),
        ("container_disk_watch_interval", "15secs".to_string()),
        ("containerizers", "mesos".to_string()),
        ("default_role", "*".to_string()),
        ("disallow_sharing_agent_ipc_namespace", "false".to_string()),
        ("disallow_sharing_agent_pid_namespace", "false".to_string()),
        ("disk_watch_interval", "1mins".to_string()),
        ("docker", "docker".to_string()),
        ("docker_ignore_runtime", "false".to_string()),
        ("docker_kill_orphans", "true".to_string()),
        (
            "docker_registry",
            "https://registry-1.docker.io".to_string(),
        ),
        ("docker_remove_delay", "6hrs".to_string()),
        ("docker_socket", "/var/run/docker.sock".to_string()),
        ("docker_stop_timeout", "0ns".to_string()),
        ("docker_store_dir", "/tmp/mesos/store/docker".to_string()),
        (
            "docker_volume_checkpoint_dir",
            "/var/run/mesos/isolators/docker/volume".to_string(),
        ),
        ("docker_volume_chown", "false".to_string()),
        ("enforce_container_disk_quota", "false".to_string()),
        (
            "executor_registration_timeout",
            crate::agent::custom_executor::stout_duration(cfg.executor_registration_timeout),
        ),
        ("executor_reregistration_timeout", "2secs".to_string()),
        ("executor_shutdown_grace_period", "5secs".to_string()),
        ("fetcher_cache_dir", "/tmp/mesos/fetch".to_string()),
        ("fetcher_cache_size", "2GB".to_string()),
        ("fetcher_stall_timeout", "1mins".to_string()),
        ("frameworks_home", "".to_string()),
        ("gc_delay", "1weeks".to_string()),
        ("gc_disk_headroom", "0.1".to_string()),
        ("gc_non_executor_container_sandboxes", "false".to_string()),
        ("help", "false".to_string()),
        ("hostname", cfg.advertised_hostname()),
        ("hostname_lookup", "true".to_string()),
        ("http_command_executor", "false".to_string()),
        ("http_executor_domain_sockets", "false".to_string()),
        ("http_heartbeat_interval", "30secs".to_string()),
        ("initialize_driver_logging", "true".to_string()),
        ("ip", cfg.ip.to_string()),
        ("isolation", "posix/cpu,posix/mem".to_string()),
        ("launcher", "posix".to_string()),
        ("launcher_dir", "/usr/libexec/mesos".to_string()),
        ("logbufsecs", "0".to_string()),
        ("logging_level", "INFO".to_string()),
        ("master", master.to_string()),
        ("max_completed_executors_per_framework", "150".to_string()),
        ("memory_profiling", "false".to_string()),
        ("network_cni_metrics", "true".to_string()),
        ("network_cni_root_dir_persist", "false".to_string()),
        ("oversubscribed_resources_interval", "15secs".to_string()),
        ("perf_duration", "10secs".to_string()),
        ("perf_interval", "1mins".to_string()),
        ("port", port.to_string()),
        ("qos_correction_interval_min", "0ns".to_string()),
        ("quiet", "false".to_string()),
        ("reconfiguration_policy", "equal".to_string()),
        ("recover", "reconnect".to_string()),
        ("recovery_timeout", "15mins".to_string()),
        ("registration_backoff_factor", "1secs".to_string()),
        ("revocable_cpu_low_priority", "true".to_string()),
        ("runtime_dir", "/var/run/mesos".to_string()),
        ("sandbox_directory", "/mnt/mesos/sandbox".to_string()),
        ("strict", "true".to_string()),
        ("switch_user", "true".to_string()),
        ("systemd_enable_support", "false".to_string()),
        (
            "systemd_runtime_directory",
            "/run/systemd/system".to_string(),
        ),
        ("version", "false".to_string()),
        ("work_dir", work_dir.to_string()),
        ("zk_session_timeout", "10secs".to_string()),
    ]
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
