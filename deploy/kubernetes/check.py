"""What the Kubernetes schemas cannot say about deploy/kubernetes: that the
parts fit together. Run by scripts/k8s-validate.sh after the schema check.

Every app has a Deployment, a Service, a HorizontalPodAutoscaler, a
PodDisruptionBudget and a NetworkPolicy; its probes ask /health (liveness)
and /ready (readiness) on the port it is told to listen on; it has memory
limits; and every selector of a Service, PDB, HPA or NetworkPolicy picks
pods that exist. NATS JetStream (nats.yaml) keeps its stream on a volume;
every app told NATS_URL, and every app told another's *_SERVICE_URL that it
calls, names a Service on the right port whose pods the NetworkPolicies let
it reach (its own egress, their ingress)."""

import glob
import sys
from urllib.parse import urlsplit

import yaml

APPS = {"concerts-gateway": 3000, "bands": 3001, "venues": 3002, "concerts": 3003}
# Whom each app calls over HTTP: the gateway reads the three services, the
# concerts service follows the bands' and venues' change logs.
CALLS = {"concerts-gateway": ("bands", "venues", "concerts"), "concerts": ("bands", "venues")}

objects = []
for path in sorted(glob.glob("deploy/kubernetes/*.yaml")):
    if path.endswith("/kustomization.yaml"):
        continue
    objects += [(path, o) for o in yaml.safe_load_all(open(path)) if o]

problems = []
by_kind = {}
for path, o in objects:
    by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o

pod_labels = []
for kind in ("Deployment", "StatefulSet", "Job"):
    for o in by_kind.get(kind, {}).values():
        pod_labels.append(o["spec"]["template"]["metadata"]["labels"])


def picks_pods(selector, what):
    if not any(all(labels.get(k) == v for k, v in selector.items()) for labels in pod_labels):
        problems.append(f"{what}: the selector {selector} picks no pod")


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).get("matchLabels", {}).items())


def lets_through(direction, pod, peer, port, port_names):
    """Whether the NetworkPolicies on pods labelled `pod` let traffic with pods
    labelled `peer` (in this namespace) on `port` through, in `direction`
    ("ingress" or "egress"): yes when none restricts that direction."""
    policies = []
    for policy in by_kind.get("NetworkPolicy", {}).values():
        spec = policy["spec"]
        types = spec.get("policyTypes") or ["Ingress"] + (["Egress"] if "egress" in spec else [])
        if direction.capitalize() in types and selects(spec["podSelector"], pod):
            policies.append(spec)
    if not policies:
        return True
    for spec in policies:
        for rule in spec.get(direction) or []:
            peers = rule.get("from" if direction == "ingress" else "to")
            if peers and not any(
                "ipBlock" not in p
                and p.get("namespaceSelector") in (None, {})
                and selects(p.get("podSelector"), peer)
                for p in peers
            ):
                continue
            ports = rule.get("ports")
            if not ports or any(p.get("port") in (port, *port_names) for p in ports):
                return True
    return False


def workload_pods(selector):
    """The pod template labels and container ports of the workload whose pods `selector` picks."""
    for kind in ("Deployment", "StatefulSet"):
        for o in by_kind.get(kind, {}).values():
            template = o["spec"]["template"]
            if all(template["metadata"]["labels"].get(k) == v for k, v in selector.items()):
                ports = [p for c in template["spec"]["containers"] for p in c.get("ports", [])]
                return template["metadata"]["labels"], ports
    return None, []


def reaches(app, variable, url, default_port):
    """`app`, told `variable`=`url`, reaches that Service's pods through the NetworkPolicies."""
    address = urlsplit(url)
    port = address.port or default_port
    service = by_kind.get("Service", {}).get(address.hostname)
    if not service:
        problems.append(f"{app}: {variable}={url} names no Service")
        return None
    if port not in [p["port"] for p in service["spec"]["ports"]]:
        problems.append(f"{app}: {variable}={url}: the Service {address.hostname} has no port {port}")
        return None
    target, ports = workload_pods(service["spec"]["selector"])
    if target is None:
        return None  # said above: the Service's selector picks no pod
    named = [p["name"] for p in ports if p["containerPort"] == port and "name" in p]
    source = by_kind["Deployment"][app]["spec"]["template"]["metadata"]["labels"]
    if not lets_through("egress", source, target, port, named):
        problems.append(f"{app}: its NetworkPolicy lets it reach no {address.hostname} pod on {port} ({variable})")
    if not lets_through("ingress", target, source, port, named):
        problems.append(f"{address.hostname}: its NetworkPolicy lets {app} in on no {port} ({variable})")
    return service


# NATS JetStream keeps the stream on disk: a StatefulSet with a volume of its own.
nats = by_kind.get("StatefulSet", {}).get("nats")
if not nats:
    problems.append("nats: no StatefulSet")
elif not nats["spec"].get("volumeClaimTemplates"):
    problems.append("nats: no volumeClaimTemplate (JetStream's stream would not outlive the pod)")
nats_apps = []

for app, port in APPS.items():
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
        if app not in by_kind.get(kind, {}):
            problems.append(f"{app}: no {kind}")
    deployment = by_kind.get("Deployment", {}).get(app)
    if not deployment:
        continue
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(by_kind.get("ConfigMap", {}).get(source["configMapRef"]["name"], {}).get("data", {}))
    env.update({e["name"]: e.get("value") for e in container.get("env", [])})
    variable = "GATEWAY_HTTP_PORT" if app == "concerts-gateway" else f"{app.upper()}_HTTP_PORT"
    if env.get(variable) != str(port):
        problems.append(f"{app}: {variable} is {env.get(variable)!r}, not {port}")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    if ports.get("http") != port:
        problems.append(f"{app}: the container port http is {ports.get('http')}, not {port}")
    for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
        got = container.get(probe, {}).get("httpGet", {})
        if got.get("path") != path or got.get("port") not in ("http", port):
            problems.append(f"{app}: {probe} asks {got}, not {path} on the http port")
    if "memory" not in container.get("resources", {}).get("limits", {}):
        problems.append(f"{app}: no memory limit")
    # Every app checks the editors' tokens and knows the import token (the gateway, to refuse it an edit).
    for variable in ("IMPORT_TOKEN", "WRITE_TOKENS"):
        if variable not in env:
            problems.append(f"{app}: no {variable} from its Secret")
    for callee in CALLS.get(app, ()):
        variable = f"{callee.upper()}_SERVICE_URL"
        if not env.get(variable):
            problems.append(f"{app}: no {variable}")
        elif urlsplit(env[variable]).port != APPS[callee]:
            problems.append(f"{app}: {variable} is {env[variable]!r}, not on port {APPS[callee]}")
        else:
            reaches(app, variable, env[variable], APPS[callee])
    if env.get("NATS_URL"):
        nats_apps.append(app)
        service = reaches(app, "NATS_URL", env["NATS_URL"], 4222)
        if service and service["metadata"]["name"] not in by_kind.get("StatefulSet", {}):
            problems.append(f"{app}: NATS_URL names {service['metadata']['name']}, which is no StatefulSet")

for name, service in by_kind.get("Service", {}).items():
    picks_pods(service["spec"]["selector"], f"Service {name}")
for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
    picks_pods(pdb["spec"]["selector"]["matchLabels"], f"PodDisruptionBudget {name}")
for name, policy in by_kind.get("NetworkPolicy", {}).items():
    picks_pods(policy["spec"]["podSelector"]["matchLabels"], f"NetworkPolicy {name}")
for name, hpa in by_kind.get("HorizontalPodAutoscaler", {}).items():
    target = hpa["spec"]["scaleTargetRef"]
    if target["name"] not in by_kind.get(target["kind"], {}):
        problems.append(f"HorizontalPodAutoscaler {name}: scales {target['kind']} {target['name']}, which does not exist")

for problem in problems:
    print(f"check.py: {problem}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"check.py: {len(objects)} objects fit together: {len(APPS)} apps with their Deployment, Service, HPA, PDB and NetworkPolicy")
print(f"check.py: NATS JetStream on its volume, reached by the {len(nats_apps)} apps told NATS_URL: {', '.join(nats_apps)}")
