//! One stats sample, computed from the engine's stats document as `docker stats` computes it
//! (docker/cli `stats_helpers.go`). Pure, tested on documents the engines sent.

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

/// A container's resource use at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export_to = "StatsSample.ts", rename = "StatsSample")]
pub struct Sample {
    pub id: String,
    pub name: String,
    pub engine: String,
    /// Of one CPU: 200 is two CPUs busy (as `docker stats`).
    pub cpu_percent: f64,
    /// In use, page cache not counted (inactive files), as `docker stats`.
    #[ts(type = "number")]
    pub mem_bytes: u64,
    #[ts(type = "number")]
    pub mem_limit_bytes: u64,
    #[ts(type = "number")]
    pub net_rx_bytes: u64,
    #[ts(type = "number")]
    pub net_tx_bytes: u64,
    #[ts(type = "number")]
    pub block_read_bytes: u64,
    #[ts(type = "number")]
    pub block_write_bytes: u64,
    #[ts(type = "number")]
    pub pids: u64,
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

impl Sample {
    /// The sample in `doc`, or `None` while the engine has no previous CPU reading to compare
    /// with (the first document of a stream): a CPU figure then would be the average since the
    /// container started, not its use now.
    #[must_use]
    pub fn from_document(engine: &str, id: &str, name: &str, doc: &Value) -> Option<Self> {
        let cpu = &doc["cpu_stats"];
        let pre = &doc["precpu_stats"];
        let pre_total = u(&pre["cpu_usage"]["total_usage"]);
        let pre_system = u(&pre["system_cpu_usage"]);
        if pre_system == 0 {
            return None;
        }
        let cpu_delta = u(&cpu["cpu_usage"]["total_usage"]) as f64 - pre_total as f64;
        let system_delta = u(&cpu["system_cpu_usage"]) as f64 - pre_system as f64;
        if system_delta <= 0.0 {
            // The same reading twice (Podman's compat endpoint repeats its last one): no
            // interval to measure over.
            return None;
        }
        let online = match u(&cpu["online_cpus"]) {
            0 => cpu["cpu_usage"]["percpu_usage"]
                .as_array()
                .map_or(0, Vec::len) as f64,
            n => n as f64,
        };
        let cpu_percent = if system_delta > 0.0 && cpu_delta > 0.0 {
            cpu_delta / system_delta * online * 100.0
        } else {
            0.0
        };
        let (block_read_bytes, block_write_bytes) = doc["blkio_stats"]
            ["io_service_bytes_recursive"]
            .as_array()
            .into_iter()
            .flatten()
            .fold((0, 0), |(r, w), e| {
                match e["op"].as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("read") => (r + u(&e["value"]), w),
                    Some("write") => (r, w + u(&e["value"])),
                    _ => (r, w),
                }
            });
        let (received, sent) = doc["networks"]
            .as_object()
            .into_iter()
            .flat_map(|n| n.values())
            .fold((0, 0), |(rx, tx), n| {
                (rx + u(&n["rx_bytes"]), tx + u(&n["tx_bytes"]))
            });
        Some(Self {
            id: id.to_owned(),
            name: name.to_owned(),
            engine: engine.to_owned(),
            cpu_percent,
            mem_bytes: memory_in_use(&doc["memory_stats"]),
            mem_limit_bytes: u(&doc["memory_stats"]["limit"]),
            net_rx_bytes: received,
            net_tx_bytes: sent,
            block_read_bytes,
            block_write_bytes,
            pids: u(&doc["pids_stats"]["current"]),
        })
    }
}

impl Sample {
    /// The sample of container `id` in a libpod stats document (`{"Stats": [...]}`), where
    /// Podman computed the CPU use since its previous document. `None` for the first document
    /// of a stream, whose CPU figure is the average since the container started.
    #[must_use]
    pub fn from_libpod(
        engine: &str,
        id: &str,
        name: &str,
        doc: &Value,
        first: bool,
    ) -> Option<Self> {
        if first {
            return None;
        }
        let entry = doc["Stats"]
            .as_array()?
            .iter()
            .find(|e| e["ContainerID"] == id)?;
        Some(Self {
            id: id.to_owned(),
            name: name.to_owned(),
            engine: engine.to_owned(),
            cpu_percent: entry["CPU"].as_f64().unwrap_or(0.0),
            mem_bytes: u(&entry["MemUsage"]),
            mem_limit_bytes: u(&entry["MemLimit"]),
            net_rx_bytes: u(&entry["NetInput"]),
            net_tx_bytes: u(&entry["NetOutput"]),
            block_read_bytes: u(&entry["BlockInput"]),
            block_write_bytes: u(&entry["BlockOutput"]),
            pids: u(&entry["PIDs"]),
        })
    }
}

/// Usage without the inactive page cache: `total_inactive_file` on cgroup v1, `inactive_file`
/// on v2, when smaller than the usage.
fn memory_in_use(mem: &Value) -> u64 {
    let usage = u(&mem["usage"]);
    let stats = &mem["stats"];
    if let Some(v1) = stats["total_inactive_file"].as_u64() {
        if v1 < usage {
            return usage - v1;
        }
    }
    match stats["inactive_file"].as_u64() {
        Some(v2) if v2 < usage => usage - v2,
        _ => usage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// dockerd 20.10 on cgroup v1 (trimmed from a real document).
    fn docker_doc() -> Value {
        json!({
            "pids_stats": {"current": 3},
            "blkio_stats": {"io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "Read", "value": 4096},
                {"major": 8, "minor": 0, "op": "Write", "value": 8192},
                {"major": 8, "minor": 0, "op": "Total", "value": 12288}
            ]},
            "cpu_stats": {"cpu_usage": {"total_usage": 1_006_363_707u64, "percpu_usage": [1, 2]},
                          "system_cpu_usage": 3_401_920_000_000u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 297_239_003u64},
                             "system_cpu_usage": 3_399_920_000_000u64, "online_cpus": 2},
            "memory_stats": {"usage": 606_208, "limit": 25_276_502_016u64,
                             "stats": {"total_inactive_file": 4096, "inactive_file": 0}},
            "networks": {"eth0": {"rx_bytes": 10, "tx_bytes": 20}, "eth1": {"rx_bytes": 1, "tx_bytes": 2}}
        })
    }

    #[test]
    fn a_sample_is_computed_as_docker_stats_computes_it() {
        let s = Sample::from_document("e", "id", "busy", &docker_doc()).unwrap();
        // (1006363707 - 297239003) / (3401920000000 - 3399920000000) * 2 * 100
        assert!(
            (s.cpu_percent - 70.912_470_4).abs() < 1e-6,
            "{}",
            s.cpu_percent
        );
        assert_eq!(s.mem_bytes, 606_208 - 4096);
        assert_eq!(s.mem_limit_bytes, 25_276_502_016);
        assert_eq!((s.net_rx_bytes, s.net_tx_bytes), (11, 22));
        assert_eq!((s.block_read_bytes, s.block_write_bytes), (4096, 8192));
        assert_eq!(s.pids, 3);
    }

    #[test]
    fn a_libpod_document_is_read_for_its_container_after_the_first() {
        let doc = json!({"Error": null, "Stats": [
            {"ContainerID": "other", "CPU": 1.0},
            {"ContainerID": "id", "CPU": 99.5, "MemUsage": 524_288, "MemLimit": 100,
             "NetInput": 1, "NetOutput": 2, "BlockInput": 3, "BlockOutput": 4, "PIDs": 5}
        ]});
        assert_eq!(Sample::from_libpod("e", "id", "n", &doc, true), None);
        let s = Sample::from_libpod("e", "id", "n", &doc, false).unwrap();
        assert!((s.cpu_percent - 99.5).abs() < f64::EPSILON);
        assert_eq!(
            (
                s.mem_bytes,
                s.mem_limit_bytes,
                s.net_rx_bytes,
                s.net_tx_bytes
            ),
            (524_288, 100, 1, 2)
        );
        assert_eq!((s.block_read_bytes, s.block_write_bytes, s.pids), (3, 4, 5));
        assert_eq!(Sample::from_libpod("e", "gone", "n", &doc, false), None);
    }

    #[test]
    fn the_first_document_of_a_stream_has_no_cpu_to_compare_with() {
        let mut doc = docker_doc();
        doc["precpu_stats"] = json!({"cpu_usage": {"total_usage": 0}});
        assert_eq!(Sample::from_document("e", "id", "busy", &doc), None);
    }

    #[test]
    fn cgroup_v2_and_podman_memory_and_missing_fields_read_as_docker_reads_them() {
        let mut doc = docker_doc();
        doc["memory_stats"] =
            json!({"usage": 1000, "limit": 5000, "stats": {"inactive_file": 100}});
        doc["cpu_stats"]["online_cpus"] = json!(0);
        doc["networks"] = Value::Null;
        doc["blkio_stats"] = json!({"io_service_bytes_recursive": null});
        let s = Sample::from_document("e", "id", "n", &doc).unwrap();
        assert_eq!(s.mem_bytes, 900);
        assert!(
            (s.cpu_percent - 70.912_470_4).abs() < 1e-6,
            "percpu count stands in"
        );
        assert_eq!((s.net_rx_bytes, s.block_read_bytes), (0, 0));
        // Podman sends no `stats` at all: the usage as it is.
        doc["memory_stats"] = json!({"usage": 532_480, "limit": 7});
        assert_eq!(
            Sample::from_document("e", "id", "n", &doc)
                .unwrap()
                .mem_bytes,
            532_480
        );
    }
}
