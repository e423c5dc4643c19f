//! `ContainerInfo` (DOCKER and MESOS), volumes, images, networks, and `ContainerStatus`.

use serde::{Deserialize, Serialize};

use super::common::{Labels, Parameter};
use super::ids::ContainerId;
use super::{Extra, proto_enum};

proto_enum!(
    /// `ContainerInfo.Type`.
    ContainerType {
        /// Docker containerizer.
        Docker = "DOCKER",
        /// Mesos (universal) containerizer.
        Mesos = "MESOS",
    }
);

proto_enum!(
    /// `ContainerInfo.DockerInfo.Network`.
    DockerNetwork {
        /// Host network (default).
        Host = "HOST",
        /// Docker bridge.
        Bridge = "BRIDGE",
        /// No network.
        None = "NONE",
        /// User-defined network.
        User = "USER",
    }
);

proto_enum!(
    /// `Volume.Mode`.
    VolumeMode {
        /// Read-write.
        Rw = "RW",
        /// Read-only.
        Ro = "RO",
    }
);

proto_enum!(
    /// `Image.Type`.
    ImageType {
        /// AppC image.
        Appc = "APPC",
        /// Docker image.
        Docker = "DOCKER",
    }
);

/// `ContainerInfo.DockerInfo.PortMapping`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DockerPortMapping {
    /// Port on the host.
    pub host_port: u32,
    /// Port inside the container.
    pub container_port: u32,
    /// `tcp` or `udp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ContainerInfo.DockerInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DockerInfo {
    /// Image, e.g. `nginx:1.10-alpine` (required).
    pub image: String,
    /// Network mode (default HOST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<DockerNetwork>,
    /// Port mappings (BRIDGE/USER).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<DockerPortMapping>,
    /// `--privileged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Extra `docker run` parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Parameter>,
    /// Always pull the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_pull_image: Option<bool>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Image.Docker` / `Image.Appc`: an image name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageName {
    /// Name, e.g. `library/alpine`.
    pub name: String,
    /// Fields this library does not model (credentials, config, labels, id).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Image`: a container image for the Mesos containerizer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Image {
    /// APPC or DOCKER.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub image_type: Option<ImageType>,
    /// Docker image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<ImageName>,
    /// AppC image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appc: Option<ImageName>,
    /// Use a cached image if present (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ContainerInfo.MesosInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MesosInfo {
    /// Root filesystem image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `Volume`: a path mounted into the container. Fields in the proto's declaration order,
/// which is the order Mesos writes them in (`mode` first).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Volume {
    /// RW or RO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<VolumeMode>,
    /// Path inside the container.
    pub container_path: String,
    /// Path on the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Option<String>,
    /// Image to mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Fields this library does not model (e.g. `source`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `NetworkInfo.IPAddress`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IpAddress {
    /// `IPv4` or `IPv6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Fields this library does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `NetworkInfo`: a container network attachment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetworkInfo {
    /// Addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<IpAddress>,
    /// Network name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// Fields this library does not model (e.g. `port_mappings`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ContainerInfo`: how to containerize a task or executor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContainerInfo {
    /// DOCKER or MESOS (required).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub container_type: Option<ContainerType>,
    /// Volumes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Hostname inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Docker settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerInfo>,
    /// Mesos containerizer settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesos: Option<MesosInfo>,
    /// Networks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_infos: Vec<NetworkInfo>,
    /// Fields this library does not model (linux_info, rlimit_info, tty_info).
    #[serde(flatten)]
    pub extra: Extra,
}

impl ContainerInfo {
    /// A DOCKER container running `image` on the host network.
    pub fn docker(image: impl Into<String>) -> Self {
        Self {
            container_type: Some(ContainerType::Docker),
            docker: Some(DockerInfo {
                image: image.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// A MESOS container, optionally with a docker image as root filesystem.
    pub fn mesos(docker_image: Option<String>) -> Self {
        Self {
            container_type: Some(ContainerType::Mesos),
            mesos: docker_image.map(|name| MesosInfo {
                image: Some(Image {
                    image_type: Some(ImageType::Docker),
                    docker: Some(ImageName {
                        name,
                        extra: Extra::new(),
                    }),
                    ..Default::default()
                }),
                extra: Extra::new(),
            }),
            ..Default::default()
        }
    }
}

/// `ContainerStatus`: what the agent reports about a task's container.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ContainerStatus {
    /// Container ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_id: Option<ContainerId>,
    /// Networks with their IPs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_infos: Vec<NetworkInfo>,
    /// Executor's pid on the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_pid: Option<u32>,
    /// Fields this library does not model (cgroup_info...).
    #[serde(flatten)]
    pub extra: Extra,
}
