"""classic: exactly the guide — one CA and four key pairs."""

from __future__ import annotations

from wizard.catalog.model import Profile, SigningProfile
from wizard.catalog.profiles.shared import (
    CLASSIC_USAGES,
    CLUSTER_CA,
    GUIDE_ADMIN,
    GUIDE_KUBE_PROXY,
    GUIDE_KUBERNETES,
    with_client_ca,
)

CLASSIC = with_client_ca(
    Profile(
        name="classic",
        title="classic — the guide's one CA and four key pairs",
        description=(
            "Exactly the guide: one CA signs kubernetes (etcd and kube-apiserver), admin (kubectl) "
            "and kube-proxy. Enough for clusters before Kubernetes 1.20; a current cluster also "
            "needs controller-manager and scheduler certificates and a service-account key."
        ),
        signing_profiles=(SigningProfile("kubernetes", CLASSIC_USAGES),),
        entries=(CLUSTER_CA, GUIDE_KUBERNETES, GUIDE_ADMIN, GUIDE_KUBE_PROXY),
    )
)
