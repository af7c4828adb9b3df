"""FHIR test helpers: validate with fhir.resources (R4B models, whose vital-signs profiles match R4's),
check the R4 vital-signs profile constraints the models cannot see, and call /fhir."""

from __future__ import annotations

from fhir.resources.R4B import get_fhir_model_class

SD = "http://hl7.org/fhir/StructureDefinition/"
# profile -> (LOINC code it requires, UCUM units it allows); bp is checked through its components.
VITAL_PROFILES = {"heartrate": ("8867-4", {"/min"}), "resprate": ("9279-1", {"/min"}),
                  "bodytemp": ("8310-5", {"Cel", "[degF]"}), "oxygensat": ("2708-6", {"%"}),
                  "bp": ("85354-9", set())}


def validate(resource: dict) -> dict:
    """Parse `resource` (and every entry of a Bundle) with its R4B model: raises on any invalid element."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    assert resource.get("meta", {}).get("profile"), f"{resource['resourceType']} without meta.profile"
    for entry in resource.get("entry", []):
        validate(entry["resource"])
    if resource["resourceType"] == "Observation":
        check_vital_sign(resource)
    return resource


def check_vital_sign(obs: dict) -> None:
    (profile,) = obs["meta"]["profile"]
    name = profile.removeprefix(SD)
    if name not in VITAL_PROFILES:
        assert name == "Observation" and obs["category"][0]["coding"][0]["code"] == "laboratory"
        return
    code, units = VITAL_PROFILES[name]
    assert {c["system"] for c in obs["code"]["coding"]} == {"http://loinc.org"}
    assert code in {c["code"] for c in obs["code"]["coding"]}, (name, obs["code"])
    assert any(c["system"] == "http://terminology.hl7.org/CodeSystem/observation-category"
               and c["code"] == "vital-signs" for cat in obs["category"] for c in cat["coding"])
    assert obs["subject"]["reference"].startswith("Patient/") and obs["effectiveDateTime"]
    if name == "bp":
        assert [c["code"]["coding"][0]["code"] for c in obs["component"]] == ["8480-6", "8462-4"]
        for comp in obs["component"]:
            q = comp.get("valueQuantity")
            assert (q and q["code"] == "mm[Hg]" and q["system"] == "http://unitsofmeasure.org") or \
                comp.get("dataAbsentReason")
    else:
        q = obs["valueQuantity"]
        assert q["system"] == "http://unitsofmeasure.org" and q["code"] in units and q["value"] is not None


async def get(api, path: str, token: str | None = None, **headers) -> tuple[int, dict, object]:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    resp = await api.client.get(path, headers=headers)
    return resp.status, await resp.json(content_type=None), resp
