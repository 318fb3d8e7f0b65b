"""What the Kubernetes schemas cannot say about deploy/kubernetes: that the
parts fit together. Run by scripts/k8s-validate.sh after the schema check.

Every app has a Deployment, a Service, a HorizontalPodAutoscaler, a
PodDisruptionBudget and a NetworkPolicy; its probes ask /health (liveness)
and /ready (readiness) on the port it is told to listen on; it has memory
limits; and every selector of a Service, PDB, HPA or NetworkPolicy picks
pods that exist."""

import glob
import sys

import yaml

APPS = {"concerts-gateway": 3000, "bands": 3001, "venues": 3002, "concerts": 3003}

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


for app, port in APPS.items():
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
        if app not in by_kind.get(kind, {}):
            problems.append(f"{app}: no {kind}")
    deployment = by_kind.get("Deployment", {}).get(app)
    if not deployment:
        continue
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
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
