"""The people, teams, services and words the demo history is made of."""

from __future__ import annotations

from dataclasses import dataclass

from firehouse.people.models import Role


@dataclass(frozen=True)
class DemoTeam:
    slug: str
    name: str
    description: str
    business_functions: tuple[str, ...]


@dataclass(frozen=True)
class DemoPerson:
    handle: str
    name: str
    timezone: str
    role: Role
    teams: tuple[str, ...]
    manages: str | None = None


@dataclass(frozen=True)
class DemoService:
    slug: str
    name: str
    team: str
    description: str


TEAMS = (
    DemoTeam(
        "payments", "Payments", "Checkout, card processing, payouts and the ledger.",
        ("checkout", "card payments", "payouts", "refunds"),
    ),
    DemoTeam(
        "platform", "Platform", "Kubernetes, networking, databases and the API gateway.",
        ("all customer traffic", "internal tooling", "deploys"),
    ),
    DemoTeam(
        "identity", "Identity", "Login, single sign-on, MFA and user profiles.",
        ("login", "signup", "password reset"),
    ),
    DemoTeam(
        "data", "Data", "Pipelines, the warehouse, search and recommendations.",
        ("reporting", "search", "recommendations"),
    ),
    DemoTeam(
        "mobile", "Mobile", "The iOS and Android apps and their backend.",
        ("mobile app", "push notifications"),
    ),
    DemoTeam(
        "security", "Security", "Detection, response, secrets and the perimeter.",
        ("account security", "compliance"),
    ),
)  # fmt: skip

_R, _IM, _A, _V = Role.responder, Role.incident_manager, Role.admin, Role.viewer
PEOPLE = (
    DemoPerson("oliver", "Oliver Bennett", "Europe/London", _A, ("platform",), "platform"),
    DemoPerson("elena", "Elena Petrova", "Europe/Berlin", _A, ("security",), "security"),
    DemoPerson("amara", "Amara Okafor", "Africa/Lagos", _IM, ("payments",), "payments"),
    DemoPerson("bjorn", "Björn Lindqvist", "Europe/Stockholm", _R, ("platform",)),
    DemoPerson("chen", "Chen Wei", "Asia/Shanghai", _R, ("data",)),
    DemoPerson("diego", "Diego Fernández", "America/Mexico_City", _IM, ("mobile",), "mobile"),
    DemoPerson("farah", "Farah Haddad", "Asia/Dubai", _R, ("security",)),
    DemoPerson("gus", "Gus Mahoney", "America/Chicago", _R, ("payments",)),
    DemoPerson("hana", "Hana Sato", "Asia/Tokyo", _IM, ("identity",), "identity"),
    DemoPerson("ines", "Inês Costa", "Europe/Lisbon", _IM, ("platform", "payments")),
    DemoPerson("jamal", "Jamal Wright", "America/New_York", _R, ("payments",)),
    DemoPerson("kofi", "Kofi Mensah", "Europe/London", _R, ("platform",)),
    DemoPerson("lena", "Lena Novak", "Europe/Prague", _R, ("identity",)),
    DemoPerson("mateo", "Mateo Rossi", "Europe/Rome", _R, ("mobile",)),
    DemoPerson("nadia", "Nadia Rahman", "Asia/Kolkata", _IM, ("data",), "data"),
    DemoPerson("priya", "Priya Nair", "Asia/Kolkata", _R, ("data", "platform")),
    DemoPerson("quinn", "Quinn Harper", "America/Denver", _R, ("security",)),
    DemoPerson("rosa", "Rosa Jiménez", "America/Los_Angeles", _R, ("mobile",)),
    DemoPerson("sam", "Sam Whitfield", "Australia/Sydney", _IM, ("platform",)),
    DemoPerson("tariq", "Tariq Aziz", "Asia/Karachi", _R, ("identity",)),
    DemoPerson("uma", "Uma Shankar", "Asia/Singapore", _R, ("payments",)),
    DemoPerson("viktor", "Viktor Horvath", "Europe/Budapest", _R, ("platform",)),
    DemoPerson("wen", "Wen Li", "Asia/Taipei", _R, ("mobile", "identity")),
    DemoPerson("ximena", "Ximena Soto", "America/Santiago", _R, ("data",)),
    DemoPerson("yusuf", "Yusuf Demir", "Europe/Istanbul", _R, ("security", "platform")),
    DemoPerson("zoe", "Zoë Martin", "Europe/Paris", _IM, ("payments", "identity")),
    DemoPerson("aiko", "Aiko Tanaka", "Asia/Tokyo", _R, ("mobile",)),
    DemoPerson("ben", "Ben Carter", "America/Toronto", _R, ("payments",)),
    DemoPerson("carla", "Carla Moreau", "Europe/Brussels", _R, ("identity",)),
    DemoPerson("dmitri", "Dmitri Volkov", "Europe/Helsinki", _R, ("data",)),
    DemoPerson("esther", "Esther Cohen", "Asia/Jerusalem", _V, ("security",)),
    DemoPerson("felix", "Felix Braun", "Europe/Vienna", _V, ("payments",)),
    DemoPerson("grace", "Grace Kim", "America/Los_Angeles", _V, ()),
    DemoPerson("hugo", "Hugo Silva", "America/Sao_Paulo", _R, ("platform",)),
)

SERVICES = (
    DemoService("checkout-api", "Checkout API", "payments", "Takes orders and payments."),
    DemoService("payments-gateway", "Payments gateway", "payments", "Talks to card acquirers."),
    DemoService("ledger", "Ledger", "payments", "Double-entry book of every money movement."),
    DemoService("payouts-worker", "Payouts worker", "payments", "Pays merchants nightly."),
    DemoService("api-gateway", "API gateway", "platform", "Routes all public API traffic."),
    DemoService("kubernetes-prod", "Kubernetes (prod)", "platform", "The production cluster."),
    DemoService("postgres-main", "PostgreSQL main", "platform", "The primary OLTP database."),
    DemoService("kafka", "Kafka", "platform", "Event bus between services."),
    DemoService("cdn-edge", "CDN edge", "platform", "Static assets and caching."),
    DemoService("auth-service", "Auth service", "identity", "Passwords, tokens, sessions."),
    DemoService("sso", "Single sign-on", "identity", "SAML and OIDC for business customers."),
    DemoService("mfa-sms", "MFA via SMS", "identity", "One-time codes over SMS."),
    DemoService("warehouse-etl", "Warehouse ETL", "data", "Nightly loads into the warehouse."),
    DemoService("search-indexer", "Search indexer", "data", "Keeps product search fresh."),
    DemoService("recommendations", "Recommendations", "data", "The 'you may also like' model."),
    DemoService("mobile-bff", "Mobile backend", "mobile", "API tailored to the apps."),
    DemoService("push-notifications", "Push notifications", "mobile", "APNs and FCM sender."),
    DemoService("ios-app", "iOS app", "mobile", "The App Store build."),
    DemoService("android-app", "Android app", "mobile", "The Play Store build."),
    DemoService("waf", "Web application firewall", "security", "Edge filtering and rate limits."),
    DemoService("secrets-vault", "Secrets vault", "security", "Credentials and keys."),
    DemoService("siem", "SIEM", "security", "Security event collection and detection."),
)

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-1", "eu-central-1", "us-west-2")
VENDORS = ("the card acquirer", "the SMS provider", "the DNS provider", "the cloud provider")

TITLES: dict[str, tuple[str, ...]] = {
    "operational": (
        "{name} returning 5xx for {pct}% of requests",
        "{name} unavailable in {region}",
        "Queue backlog on {slug}: {count}k messages waiting",
        "Disk almost full on {slug} nodes in {region}",
        "Certificate expired on {slug}.example.com",
        "Replication lag on {slug} above {secs}s",
        "Outage at {vendor} degrading {name}",
        "{name} pods crash-looping after node upgrade",
        "DNS resolution failures for {slug} in {region}",
    ),
    "performance": (
        "{name} p99 latency above {ms} ms",
        "Slow queries on {slug} after schema change",
        "CPU saturation on {slug} nodes in {region}",
        "Memory leak in {name} workers",
        "Connection pool exhausted on {slug}",
        "Cache hit rate on {slug} fell to {pct}%",
    ),
    "deployment": (
        "Release {version} of {name} rolled back",
        "Feature flag {flag} broke {function}",
        "Config push to {slug} caused errors in {region}",
        "Migration on {slug} locked a hot table",
        "Bad build of {name} shipped to {pct}% of traffic",
    ),
    "security": (
        "Suspicious admin logins on {name}",
        "API key for {slug} found in a public repository",
        "Credential stuffing against {name}",
        "Unpatched CVE-2026-{cve} in {name}",
        "Phishing campaign targeting staff",
        "Unexpected outbound traffic from {slug} in {region}",
    ),
}

DRILL_TITLES = (
    "Drill: fail {name} over to {region}",
    "Game day: kill the {slug} primary",
    "Drill: restore {slug} from backup",
    "Tabletop: {vendor} down for four hours",
)

CAUSES = (
    "a configuration change rolled out without a canary",
    "a node pool upgrade that evicted too many pods at once",
    "an expired TLS certificate on an internal endpoint",
    "a slow query introduced by the previous release",
    "a traffic spike from a marketing campaign",
    "a dependency timing out under load",
    "a full disk on a stateful node",
    "a retry storm after a brief network partition",
)

MITIGATIONS = (
    "rolled back to the previous release",
    "turned off the feature flag",
    "failed over to the secondary region",
    "scaled the deployment out to twice the replicas",
    "shed load with a temporary rate limit",
    "shipped a hotfix",
    "restarted the stuck consumers",
)

NOTES = (
    "Looking at the [dashboard]({dashboard}); errors started at **{time} UTC**.",
    "Error rate is now **{pct}%** and falling.\n\n- rollback finished\n- queues draining",
    "Customer support reports tickets from {region} customers. Holding the status page for now.",
    "Suspect {cause}. Checking the deploy log:\n\n```\nkubectl rollout history deploy/{slug}\n```",
    "**Decision:** we {mitigation}. Owner: @{handle}.",
    "Paged {vendor}; they confirm an issue on their side, ticket open.",
    "Next update in 30 minutes. Current impact:\n\n| metric | value |\n|---|---|\n"
    "| error rate | {pct}% |\n| p99 | {ms} ms |",
    "Verified with synthetic checks from three regions: all green for 15 minutes.",
)
KEY_NOTES = (
    "> **Root cause:** {cause}.\n\nWe {mitigation}. Follow-ups go in the postmortem.",
    "**Summary so far:** {function} failing for {pct}% of requests in {region}; "
    "we {mitigation} and are watching the error rate.",
)
HANDOVER_NOTE = (
    "Handing over: @{handle} takes incident manager for the next shift. "
    "Summary so far in the pinned note."
)

CANCEL_REASONS = (
    "false alarm: the monitor was misconfigured",
    "duplicate page from a flapping alert",
    "planned maintenance, announced last week",
    "test page sent by mistake",
)

REOPEN_REASONS = (
    "error rate climbed again after the first fix",
    "the rollback did not reach every region",
    "customers still report failures",
)

INVESTIGATING = (
    "Investigating reports that {function} is failing for customers in {region}. "
    "Alerts fired for {name}; cause not known yet."
)
SUMMARIES = (
    "{function} was degraded for customers in {region}. It started with {cause}; "
    "the team {mitigation}.",
    "Alerts fired for {name}. Impact: {function} slower or failing for part of the traffic. "
    "Mitigation: the team {mitigation}.",
    "{name} misbehaved after {cause}. {function} affected until the team {mitigation}.",
)
