"""Drives a Vault (VaultTestServer in VaultTestServerHvacTest) with hvac, Debian's python3-hvac: a client written
independently of vault-java-driver, so the fake's wire format is checked against a second reading of Vault's API.

usage: fidelity.py PHASE  with a JSON object on stdin: address, root_token, ttl_token, role_id, secret_id,
k8s_role, jwt. PHASE is "live" (the server answers), "beyond" (calls Sluice does not make), "expired" (ttl_token has
expired) or "sealed" (the server is sealed). Prints one JSON object: for each case {"ok": true, "value": ...} or {"ok": false, "error": <hvac exception
class>, "message": ...}; a case failing does not stop the others.
"""
import json
import sys

import hvac
import hvac.exceptions

MOUNT = "secret"


def run(cases, name, fn):
    try:
        cases[name] = {"ok": True, "value": fn()}
    except Exception as e:  # every failure is a result the Java side asserts on
        cases[name] = {"ok": False, "error": type(e).__name__, "message": str(e)[:300]}


def client(args, token=None):
    return hvac.Client(url=args["address"], token=token, timeout=30)


def live(args, cases):
    root = client(args, args["root_token"])
    run(cases, "lookup_self_root", lambda: pick(root.auth.token.lookup_self()["data"],
                                                 "policies", "renewable", "ttl", "type"))
    run(cases, "is_authenticated", lambda: root.is_authenticated())
    run(cases, "is_authenticated_bad_token", lambda: client(args, "hvs.not-a-token").is_authenticated())
    run(cases, "lookup_self_bad_token", lambda: client(args, "hvs.not-a-token").auth.token.lookup_self())

    ttl = client(args, args["ttl_token"])
    run(cases, "lookup_self_ttl", lambda: pick(ttl.auth.token.lookup_self()["data"],
                                                "policies", "renewable", "ttl", "creation_ttl"))
    run(cases, "renew_self_seconds", lambda: renewed(ttl.auth.token.renew_self(increment=1800), args["ttl_token"]))

    def approle():
        c = client(args)
        response = c.auth.approle.login(role_id=args["role_id"], secret_id=args["secret_id"])
        auth = response["auth"]
        looked = c.auth.token.lookup_self()["data"]  # use_token=True: the client now holds the new token
        return {"token_set": c.token == auth["client_token"], "renewable": auth["renewable"],
                "lease_duration": auth["lease_duration"], "policies": auth["policies"],
                "lookup_policies": looked["policies"]}
    run(cases, "approle_login", approle)
    run(cases, "approle_login_wrong_secret",
        lambda: client(args).auth.approle.login(role_id=args["role_id"], secret_id="wrong"))

    def kubernetes():
        c = client(args)
        response = c.auth.kubernetes.login(role=args["k8s_role"], jwt=args["jwt"])
        auth = response["auth"]
        looked = c.auth.token.lookup_self()["data"]
        return {"token_set": c.token == auth["client_token"], "renewable": auth["renewable"],
                "lease_duration": auth["lease_duration"], "role": auth["metadata"]["role"],
                "lookup_policies": looked["policies"]}
    run(cases, "kubernetes_login", kubernetes)
    run(cases, "kubernetes_login_wrong_jwt",
        lambda: client(args).auth.kubernetes.login(role=args["k8s_role"], jwt="not-the-jwt"))

    kv = root.secrets.kv.v2
    run(cases, "write_1", lambda: kv.create_or_update_secret(
        path="sluice/plans/pro", secret={"burst": 200, "requests-per-second": 100}, mount_point=MOUNT)["data"]["version"])
    run(cases, "write_2", lambda: kv.create_or_update_secret(
        path="sluice/plans/pro", secret={"burst": 300}, mount_point=MOUNT)["data"]["version"])
    run(cases, "write_other", lambda: kv.create_or_update_secret(
        path="sluice/tenants/acme", secret={"plan": "pro"}, mount_point=MOUNT)["data"]["version"])
    run(cases, "read_latest", lambda: version(kv.read_secret_version(path="sluice/plans/pro", mount_point=MOUNT)))
    run(cases, "read_version_1", lambda: version(kv.read_secret_version(
        path="sluice/plans/pro", version=1, mount_point=MOUNT)))
    run(cases, "read_missing", lambda: kv.read_secret_version(path="sluice/plans/none", mount_point=MOUNT))
    run(cases, "list_folder", lambda: kv.list_secrets(path="sluice", mount_point=MOUNT)["data"]["keys"])
    run(cases, "list_plans", lambda: kv.list_secrets(path="sluice/plans", mount_point=MOUNT)["data"]["keys"])
    run(cases, "list_missing", lambda: kv.list_secrets(path="sluice/nothing", mount_point=MOUNT))

    def metadata():
        data = kv.read_secret_metadata(path="sluice/plans/pro", mount_point=MOUNT)["data"]
        return {"current_version": data["current_version"], "versions": sorted(data["versions"].keys()),
                "destroyed": [v["destroyed"] for _, v in sorted(data["versions"].items())]}
    run(cases, "read_metadata", metadata)
    run(cases, "delete_metadata_and_all_versions", lambda: kv.delete_metadata_and_all_versions(
        path="sluice/plans/pro", mount_point=MOUNT).status_code)
    run(cases, "read_after_delete", lambda: kv.read_secret_version(path="sluice/plans/pro", mount_point=MOUNT))
    run(cases, "metadata_after_delete", lambda: kv.read_secret_metadata(path="sluice/plans/pro", mount_point=MOUNT))
    run(cases, "list_after_delete", lambda: kv.list_secrets(path="sluice", mount_point=MOUNT)["data"]["keys"])

    # A soft delete (what Terraform's vault_kv_secret_v2 does on destroy without delete_all_versions): the path stays
    # listed, its metadata says deleted, a read is a 404.
    run(cases, "write_config", lambda: kv.create_or_update_secret(
        path="sluice/config", secret={"log-level": "debug"}, mount_point=MOUNT)["data"]["version"])
    run(cases, "soft_delete", lambda: kv.delete_latest_version_of_secret(
        path="sluice/config", mount_point=MOUNT).status_code)
    run(cases, "read_soft_deleted", lambda: kv.read_secret_version(path="sluice/config", mount_point=MOUNT))

    def soft_deleted_metadata():
        data = kv.read_secret_metadata(path="sluice/config", mount_point=MOUNT)["data"]
        return {"current_version": data["current_version"],
                "deleted": data["versions"]["1"]["deletion_time"] != ""}
    run(cases, "metadata_soft_deleted", soft_deleted_metadata)
    run(cases, "list_soft_deleted", lambda: kv.list_secrets(path="sluice", mount_point=MOUNT)["data"]["keys"])



def beyond(args, cases):
    """Calls Sluice does not make (its driver renews without an increment and never revokes), which a client may."""
    ttl = client(args, args["ttl_token"])
    # Vault takes a duration string as well as seconds (hvac's docstring types increment as str).
    run(cases, "renew_self_duration", lambda: renewed(ttl.auth.token.renew_self(increment="20m"), args["ttl_token"]))

    def revoke():
        c = client(args)
        c.auth.approle.login(role_id=args["role_id"], secret_id=args["secret_id"])
        status = c.auth.token.revoke_self().status_code
        try:
            c.auth.token.lookup_self()
            after = "still valid"
        except hvac.exceptions.VaultError as e:
            after = type(e).__name__
        return {"status": status, "lookup_after": after}
    run(cases, "revoke_self", revoke)


def expired(args, cases):
    ttl = client(args, args["ttl_token"])
    run(cases, "lookup_self_expired", lambda: ttl.auth.token.lookup_self())
    run(cases, "renew_self_expired", lambda: ttl.auth.token.renew_self())
    run(cases, "read_with_expired", lambda: ttl.secrets.kv.v2.read_secret_version(
        path="sluice/tenants/acme", mount_point=MOUNT))


def sealed(args, cases):
    root = client(args, args["root_token"])
    run(cases, "lookup_self_sealed", lambda: root.auth.token.lookup_self())
    run(cases, "read_sealed", lambda: root.secrets.kv.v2.read_secret_version(
        path="sluice/tenants/acme", mount_point=MOUNT))
    run(cases, "write_sealed", lambda: root.secrets.kv.v2.create_or_update_secret(
        path="sluice/tenants/acme", secret={"plan": "free"}, mount_point=MOUNT))
    run(cases, "approle_login_sealed",
        lambda: client(args).auth.approle.login(role_id=args["role_id"], secret_id=args["secret_id"]))


def pick(data, *keys):
    return {k: data.get(k) for k in keys}


def renewed(response, token):
    auth = response["auth"]
    return {"same_token": auth["client_token"] == token, "lease_duration": auth["lease_duration"],
            "renewable": auth["renewable"]}


def version(response):
    data = response["data"]
    return {"data": data["data"], "version": data["metadata"]["version"],
            "deleted": data["metadata"]["deletion_time"] != ""}


def main():
    phase = sys.argv[1]
    args = json.load(sys.stdin)
    cases = {}
    {"live": live, "beyond": beyond, "expired": expired, "sealed": sealed}[phase](args, cases)
    print(json.dumps(cases, sort_keys=True, separators=(",", ":")))


if __name__ == "__main__":
    main()
