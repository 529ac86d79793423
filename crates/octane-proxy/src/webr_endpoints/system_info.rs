//! `GET /api/system/info`: the figures octaneWebR's render toolbar shows (Octane's version, the
//! first device's name, hardware ray tracing and memory, the scene's primitive count), each from
//! the RPC that gives it.
//!
//! The client fetches this from the absolute URL `http://localhost:45769/api/system/info`, so
//! its reply must be readable cross-origin: the router's CORS headers, on every response, do
//! that. Octane has no figure for `meshCount` (the old Express backend wrote a constant `1`),
//! so it is `null`, and so is any figure whose RPC Octane answered with an error status (an
//! older Octane without it); a failure that is not Octane's answer (unreachable, deadline, a
//! call refused by `--allow`/`--deny`) fails the request with that error.

use std::time::Duration;

use bytes::Bytes;
use octane_api::octaneapi::api_info::{OctaneVersionRequest, OctaneVersionResponse};
use octane_api::octaneapi::api_render_engine::{
    DeviceUsesHardwareRayTracingRequest, DeviceUsesHardwareRayTracingResponse,
    GetDeviceCountRequest, GetDeviceCountResponse, GetDeviceNameRequest, GetDeviceNameResponse,
    GetGeometryStatisticsRequest, GetGeometryStatisticsResponse, GetMemoryUsageRequest,
    GetMemoryUsageResponse,
};
use octane_api::octaneapi::{ApiDeviceMemoryUsage, ApiGeometryStatistics};
use serde::Serialize;

use crate::ProxyError;
use crate::access::AccessPolicy;
use crate::routes::{self, Route};
use octane_grpc::Octane;

/// The device the figures are of: octaneWebR shows one GPU, and Octane numbers them from 0.
const DEVICE: u32 = 0;
const BYTES_PER_GB: f64 = (1u64 << 30) as f64;

/// The reply, in the Express backend's field names.
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct SystemInfo {
    /// Triangles, displaced triangles, hair segments, spheres, voxels and Gaussian splats of
    /// the scene (`getGeometryStatistics`).
    primitive_count: Option<u64>,
    /// Always `null`: Octane has no such figure.
    mesh_count: Option<u64>,
    /// The first device's name (`getDeviceName`).
    gpu_name: Option<String>,
    /// Whether the first device ray traces in hardware (`deviceUsesHardwareRayTracing`).
    #[serde(rename = "hasHardwareRT")]
    has_hardware_rt: Option<bool>,
    /// The first device's memory in GiB (`getMemoryUsage`, `totalDeviceMemory`).
    #[serde(rename = "totalMemoryGB")]
    total_memory_gb: Option<f64>,
    /// `ApiInfo/octaneVersion`'s number, as a decimal string (the client shows it as text).
    octane_version: Option<String>,
}

/// Calls Octane for each figure, all at once, and answers the JSON body.
pub(crate) async fn body(
    octane: &Octane,
    access: &AccessPolicy,
    timeout: Duration,
) -> Result<Bytes, ProxyError> {
    // Every call is checked before any is made, so a refused one never lets the others out.
    let route = |service: &str, method: &str| -> Result<&'static Route, ProxyError> {
        let route = routes::lookup(service, method).map_err(|_| {
            ProxyError::Internal(format!("this build's routes have no {service}/{method}"))
        })?;
        access.authorize(route)?;
        Ok(route)
    };
    let version = route("ApiInfo", "octaneVersion")?;
    let count = route("ApiRenderEngine", "getDeviceCount")?;
    let name = route("ApiRenderEngine", "getDeviceName")?;
    let hardware_rt = route("ApiRenderEngine", "deviceUsesHardwareRayTracing")?;
    let memory = route("ApiRenderEngine", "getMemoryUsage")?;
    let geometry = route("ApiRenderEngine", "getGeometryStatistics")?;
    let calls = Calls { octane, timeout };
    let (version, count, name, hardware_rt, memory, geometry) = tokio::join!(
        calls.make::<_, OctaneVersionResponse>(version, OctaneVersionRequest {}),
        calls.make::<_, GetDeviceCountResponse>(count, GetDeviceCountRequest {}),
        calls.make::<_, GetDeviceNameResponse>(name, GetDeviceNameRequest { index: DEVICE }),
        calls.make::<_, DeviceUsesHardwareRayTracingResponse>(
            hardware_rt,
            DeviceUsesHardwareRayTracingRequest { index: DEVICE }
        ),
        calls
            .make::<_, GetMemoryUsageResponse>(memory, GetMemoryUsageRequest { device_ix: DEVICE }),
        calls.make::<_, GetGeometryStatisticsResponse>(geometry, GetGeometryStatisticsRequest {}),
    );
    // Without a device, what Octane says of device 0 describes nothing.
    let device = count?.map(|count| count.result > DEVICE);
    let of_device = |present: Option<bool>| present != Some(false);
    let info = SystemInfo {
        primitive_count: geometry?.and_then(|g| g.stats).map(|s| primitives(&s)),
        mesh_count: None,
        gpu_name: name?.filter(|_| of_device(device)).map(|n| n.result),
        has_hardware_rt: hardware_rt?.filter(|_| of_device(device)).map(|r| r.result),
        total_memory_gb: memory?
            .filter(|_| of_device(device))
            .and_then(|m| m.mem_usage)
            .map(|m| gigabytes(&m)),
        octane_version: version?.map(|v| v.result.to_string()),
    };
    Ok(Bytes::from(
        serde_json::to_vec(&info).expect("a struct of plain fields serializes"),
    ))
}

/// Every primitive the scene's geometry has, of all kinds.
fn primitives(stats: &ApiGeometryStatistics) -> u64 {
    [
        stats.tri_count,
        stats.disp_tri_count,
        stats.hair_seg_count,
        stats.sphere_count,
    ]
    .into_iter()
    .map(u64::from)
    .chain([stats.voxel_count, stats.gaussian_splat_count])
    .fold(0u64, u64::saturating_add)
}

/// A device's memory in GiB, which the client calls GB.
fn gigabytes(memory: &ApiDeviceMemoryUsage) -> f64 {
    memory.total_device_memory as f64 / BYTES_PER_GB
}

/// The calls of one request: the same deadline for each.
struct Calls<'a> {
    octane: &'a Octane,
    timeout: Duration,
}

impl Calls<'_> {
    /// Calls `route` with `request`: its answer, `None` if Octane answered with an error
    /// status, or the failure.
    async fn make<Q, A>(&self, route: &'static Route, request: Q) -> Result<Option<A>, ProxyError>
    where
        Q: prost::Message,
        A: prost::Message + Default,
    {
        let answer = self
            .octane
            .unary(route.path, request.encode_to_vec(), self.timeout)
            .await
            .map_err(|status| {
                ProxyError::from_call(route, status, self.timeout, self.octane.address())
            });
        match answer {
            Ok(bytes) => A::decode(bytes)
                .map(Some)
                .map_err(|err| ProxyError::BadResponse {
                    service: route.service,
                    method: route.method,
                    response_type: route.response_type,
                    error: Box::new(err),
                }),
            Err(ProxyError::Grpc { status, .. }) => {
                tracing::debug!(
                    service = route.service,
                    method = route.method,
                    code = ?status.code(),
                    "no figure for /api/system/info: Octane answered with an error status"
                );
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_add_up_every_kind() {
        let stats = ApiGeometryStatistics {
            tri_count: 1,
            disp_tri_count: 2,
            hair_seg_count: 4,
            voxel_count: 8,
            gaussian_splat_count: 16,
            sphere_count: 32,
            instance_count: 1000,
            emit_pri_count: 1000,
            emit_instance_count: 1000,
            analytic_li_count: 1000,
        };
        assert_eq!(primitives(&stats), 63);
    }
}
