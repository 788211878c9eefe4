using System.Text.Json.Nodes;

namespace Fleet.Testing.Kubernetes;

// The double's test-facing API: seed objects, change them as a kubelet or an operator would, read what happened.
public sealed partial class FakeKubeApiServer
{
    /// <summary>A node as a kubelet registers it: labels kubernetes.io/arch, os and hostname, the Ready condition, its Hostname address, capacity, allocatable, daemonEndpoints and a complete nodeInfo.</summary>
    public JsonObject AddNode(
        string name,
        string arch = "amd64",
        string kubeletVersion = "v1.28.3",
        bool ready = true,
        IReadOnlyDictionary<string, string>? labels = null,
        bool unschedulable = false,
        IReadOnlyDictionary<string, string>? annotations = null,
        params (string Key, string Value, string Effect)[] taints)
    {
        var nodeLabels = new JsonObject { ["kubernetes.io/arch"] = arch, ["kubernetes.io/os"] = "linux", ["kubernetes.io/hostname"] = name };
        foreach (var (k, v) in labels ?? new Dictionary<string, string>())
        {
            nodeLabels[k] = v;
        }

        var spec = new JsonObject();
        if (unschedulable)
        {
            spec["unschedulable"] = true;
        }

        if (taints.Length > 0)
        {
            spec["taints"] = new JsonArray(taints.Select(t => (JsonNode)new JsonObject { ["key"] = t.Key, ["value"] = t.Value, ["effect"] = t.Effect }).ToArray());
        }

        var node = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = nodeLabels,
                ["annotations"] = new JsonObject((annotations ?? new Dictionary<string, string>()).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(ReadyCondition(ready)),
                ["addresses"] = new JsonArray(new JsonObject { ["type"] = "Hostname", ["address"] = name }),
                ["capacity"] = new JsonObject { ["cpu"] = "4", ["memory"] = "8048784Ki", ["pods"] = "110", ["ephemeral-storage"] = "30297152Ki" },
                ["allocatable"] = new JsonObject { ["cpu"] = "4", ["memory"] = "7946384Ki", ["pods"] = "110", ["ephemeral-storage"] = "27921511048" },
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 10250 } },
                ["nodeInfo"] = NodeInfo(arch, kubeletVersion),
            },
        };
        lock (_gate)
        {
            return (JsonObject)PutLocked("nodes", null, node).DeepClone();
        }
    }

    /// <summary>What a kubelet does after a restart: its Ready condition and the version it reports (a watch event).</summary>
    public void SetNodeStatus(string name, bool ready, string? kubeletVersion = null) => Update("nodes", null, name, node =>
    {
        var status = node["status"]!.AsObject();
        status["conditions"] = new JsonArray(ReadyCondition(ready));
        if (kubeletVersion is not null)
        {
            status["nodeInfo"]!["kubeletVersion"] = kubeletVersion;
        }
    });

    /// <summary>`kubectl cordon` by an operator: spec.unschedulable, no Fleet annotation.</summary>
    public void CordonAsOperator(string name) => Update("nodes", null, name, node => node["spec"]!["unschedulable"] = true);

    /// <summary>A pod bound to <paramref name="node"/>; <paramref name="ownerKind"/> "DaemonSet" or "ReplicaSet" makes it controller-managed (by <paramref name="ownerName"/>, default NAME-owner); <paramref name="mirror"/> a static pod's mirror.</summary>
    public JsonObject AddPod(string ns, string name, string node, IReadOnlyDictionary<string, string>? labels = null, string? ownerKind = null, bool mirror = false, string phase = "Running", string? ownerName = null)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject((labels ?? new Dictionary<string, string>()).Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
        };
        if (ownerKind is not null)
        {
            metadata["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1", ["kind"] = ownerKind, ["name"] = ownerName ?? $"{name}-owner", ["uid"] = Guid.NewGuid().ToString(), ["controller"] = true,
            });
        }

        if (mirror)
        {
            metadata["annotations"] = new JsonObject { ["kubernetes.io/config.mirror"] = Guid.NewGuid().ToString("N") };
        }

        var pod = new JsonObject
        {
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["nodeName"] = node, ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "registry.invalid/app:1" }) },
            ["status"] = new JsonObject { ["phase"] = phase },
        };
        lock (_gate)
        {
            return (JsonObject)PutLocked("pods", ns, pod).DeepClone();
        }
    }

    /// <summary>A PodDisruptionBudget over pods with <paramref name="matchLabels"/>, allowing <paramref name="disruptionsAllowed"/> evictions now.</summary>
    public void AddPodDisruptionBudget(string ns, string name, IReadOnlyDictionary<string, string> matchLabels, int disruptionsAllowed, int minAvailable = 1)
    {
        var pdb = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["minAvailable"] = minAvailable,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject(matchLabels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))) },
            },
            ["status"] = new JsonObject { ["disruptionsAllowed"] = disruptionsAllowed, ["currentHealthy"] = minAvailable + disruptionsAllowed, ["desiredHealthy"] = minAvailable, ["expectedPods"] = minAvailable + disruptionsAllowed },
        };
        lock (_gate)
        {
            PutLocked("poddisruptionbudgets", ns, pdb);
        }
    }

    /// <summary>What the disruption controller does when replacement pods become healthy elsewhere.</summary>
    public void SetDisruptionsAllowed(string ns, string name, int allowed) =>
        Update("poddisruptionbudgets", ns, name, pdb => pdb["status"]!["disruptionsAllowed"] = allowed);

    public void AddDaemonSet(string ns, string name, JsonObject podSpec) => AddWorkload("daemonsets", ns, name, podSpec, replicas: null);

    public void AddDeployment(string ns, string name, JsonObject podSpec, int replicas = 1) => AddWorkload("deployments", ns, name, podSpec, replicas);

    /// <summary>An evicted pod kept terminating (<see cref="KeepEvictedPodsTerminating"/>) goes away now, as after its grace period.</summary>
    public void FinishTermination(string ns, string name)
    {
        lock (_gate)
        {
            DeleteLocked("pods", ns, name);
        }
    }

    /// <summary>Deletes an object as an operator would (a DELETED watch event); false when there was none.</summary>
    public bool Delete(string resource, string? ns, string name)
    {
        lock (_gate)
        {
            return DeleteLocked(resource, ns, name) is not null;
        }
    }

    public JsonObject? Node(string name) => Get("nodes", null, name);

    public JsonObject? Pod(string ns, string name) => Get("pods", ns, name);

    public JsonObject? Secret(string ns, string name) => Get("secrets", ns, name);

    /// <summary>Names ("namespace/name") of the pods bound to a node.</summary>
    public IReadOnlyList<string> PodsOn(string node)
    {
        lock (_gate)
        {
            return _objects.Where(o => o.Key.StartsWith("pods/", StringComparison.Ordinal) && o.Value["spec"]?["nodeName"]?.GetValue<string>() == node)
                .Select(o => $"{o.Value["metadata"]!["namespace"]}/{o.Value["metadata"]!["name"]}").ToList();
        }
    }

    public JsonObject? Get(string resource, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(Key(resource, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    public IReadOnlyList<RecordedEviction> Evictions
    {
        get
        {
            lock (_gate)
            {
                return _evictions.ToList();
            }
        }
    }

    public IReadOnlyList<RecordedPatch> Patches
    {
        get
        {
            lock (_gate)
            {
                return _patches.ToList();
            }
        }
    }

    /// <summary>"resource namespace/name" of every object deleted through the API (evictions included).</summary>
    public IReadOnlyList<string> Deletions
    {
        get
        {
            lock (_gate)
            {
                return _deletions.ToList();
            }
        }
    }

    /// <summary>The path and query of every watch request.</summary>
    public IReadOnlyList<string> WatchRequests
    {
        get
        {
            lock (_gate)
            {
                return _watchRequests.ToList();
            }
        }
    }

    /// <summary>How many watches are open right now.</summary>
    public int OpenWatches
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    private void AddWorkload(string resource, string ns, string name, JsonObject podSpec, int? replicas)
    {
        var spec = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = podSpec.DeepClone(),
            },
        };
        if (replicas is { } r)
        {
            spec["replicas"] = r;
        }

        lock (_gate)
        {
            PutLocked(resource, ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec });
        }
    }

    private void Update(string resource, string? ns, string name, Action<JsonObject> change)
    {
        lock (_gate)
        {
            var obj = _objects.TryGetValue(Key(resource, ns, name), out var found)
                ? (JsonObject)found.DeepClone()
                : throw new InvalidOperationException($"the double has no {resource} {ns}/{name}");
            change(obj);
            PutLocked(resource, ns, obj);
        }
    }

    /// <summary>status.nodeInfo as a kubelet fills it: every field is required by the API's schema (the official clients refuse a node without them).</summary>
    private static JsonObject NodeInfo(string arch, string kubeletVersion) => new()
    {
        ["architecture"] = arch,
        ["bootID"] = Guid.NewGuid().ToString(),
        ["containerRuntimeVersion"] = "containerd://1.6.20",
        ["kernelVersion"] = "6.1.0-18-" + arch,
        ["kubeProxyVersion"] = kubeletVersion,
        ["kubeletVersion"] = kubeletVersion,
        ["machineID"] = Guid.NewGuid().ToString("N"),
        ["operatingSystem"] = "linux",
        ["osImage"] = "Debian GNU/Linux 12 (bookworm)",
        ["systemUUID"] = Guid.NewGuid().ToString(),
    };

    private static JsonObject ReadyCondition(bool ready) => new()
    {
        ["type"] = "Ready",
        ["status"] = ready ? "True" : "False",
        ["reason"] = ready ? "KubeletReady" : "KubeletNotReady",
        ["message"] = ready ? "kubelet is posting ready status" : "container runtime status check may not have completed yet",
        ["lastHeartbeatTime"] = Now(),
        ["lastTransitionTime"] = Now(),
    };

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
