import { describe, expect, it } from "vitest";
import { apiFieldErrors, buildBody, emptyForm, percent } from "./symptoms";

describe("symptom checker form", () => {
  it("sends the four symptoms always and only the profile fields filled in", () => {
    const { body, errors } = buildBody({ ...emptyForm, fever: true, cough: true });
    expect(errors).toEqual({});
    expect(body).toEqual({ symptoms: { fever: true, cough: true, fatigue: false, difficulty_breathing: false } });
  });

  it("puts blood pressure inside symptoms, the rest at the top, and the doctor's patient id", () => {
    const { body } = buildBody({ ...emptyForm, age: " 42 ", gender: "female", blood_pressure: "high", cholesterol_level: "low" }, "p1");
    expect(body).toEqual({
      symptoms: { fever: false, cough: false, fatigue: false, difficulty_breathing: false, blood_pressure: "high" },
      patient_id: "p1", age: 42, gender: "female", cholesterol_level: "low",
    });
  });

  it("rejects what the API rejects: age outside 0-120 or not whole, unknown choices", () => {
    expect(buildBody({ ...emptyForm, age: "121" })).toEqual({ errors: { age: "sym.err.ageRange" } });
    expect(buildBody({ ...emptyForm, age: "-1" }).errors.age).toBe("sym.err.ageInt");
    expect(buildBody({ ...emptyForm, age: "4.5" }).errors.age).toBe("sym.err.ageInt");
    expect(buildBody({ ...emptyForm, age: "0" }).body.age).toBe(0);
    expect(buildBody({ ...emptyForm, age: "120" }).body.age).toBe(120);
    expect(buildBody({ ...emptyForm, gender: "x", cholesterol_level: "huge" }).errors).toEqual({ gender: "sym.err.choice", cholesterol_level: "sym.err.choice" });
  });

  it("maps the API's field errors onto the form's fields", () => {
    const errors = apiFieldErrors([
      { field: "symptoms.blood_pressure", type: "missing", message: "required: not in the patient's profile" },
      { field: "age", type: "less_than_equal", message: "Input should be less than or equal to 120" },
      { field: "gender", type: "weird", message: "server text" },
      { field: "patient_id", type: "missing", message: "required for a doctor" },
    ]);
    expect(errors).toEqual({
      blood_pressure: "sym.err.missing", age: "sym.err.ageRange", gender: "server text",
      form: "patient_id: required for a doctor",
    });
    expect(apiFieldErrors(null)).toEqual({});
  });

  it("formats probabilities as localised percentages", () => {
    expect(percent("en", 0.255)).toBe("25.5%");
    expect(percent("fr", 0.255).replace(/\s/g, " ")).toBe("25,5 %");
  });
});
