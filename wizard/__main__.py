"""`python -m wizard` runs the same command line as `k8s-cert-wizard`."""

from wizard.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
