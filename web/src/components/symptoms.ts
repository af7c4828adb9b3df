/**
 * The symptom checker's form logic, pure: the request body from the form (checked as the API
 * checks it, so most mistakes are caught before the round trip) and the API's field errors
 * (`details: [{field, type, message}]`) mapped onto the form's fields with localised texts.
 */
import type { MessageKey } from "../i18n/messages";

export const SYMPTOMS = ["fever", "cough", "fatigue", "difficulty_breathing"] as const;
export const PROFILE = ["age", "gender", "blood_pressure", "cholesterol_level"] as const;
export const GENDERS = ["male", "female", "other"] as const;
export const LEVELS = ["low", "normal", "high"] as const;

export type Symptom = (typeof SYMPTOMS)[number];
export type Field = (typeof PROFILE)[number];

export interface SymptomForm {
  fever: boolean; cough: boolean; fatigue: boolean; difficulty_breathing: boolean;
  age: string;                // "" = from the patient's profile
  gender: string;             // "" = from the profile
  blood_pressure: string;
  cholesterol_level: string;
}

export const emptyForm: SymptomForm = {
  fever: false, cough: false, fatigue: false, difficulty_breathing: false,
  age: "", gender: "", blood_pressure: "", cholesterol_level: "",
};

export type FieldErrors = Partial<Record<Field | "form", MessageKey | string>>;

/** The body for `POST /api/symptoms/`, or the field errors the API would answer. */
export function buildBody(f: SymptomForm, patientId?: string): { body?: any; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: any = { symptoms: Object.fromEntries(SYMPTOMS.map((s) => [s, f[s]])) };
  if (patientId) body.patient_id = patientId;
  const age = f.age.trim();
  if (age !== "") {
    if (!/^\d+$/.test(age)) errors.age = "sym.err.ageInt";
    else if (Number(age) > 120) errors.age = "sym.err.ageRange";
    else body.age = Number(age);
  }
  if (f.gender) {
    if ((GENDERS as readonly string[]).includes(f.gender)) body.gender = f.gender;
    else errors.gender = "sym.err.choice";
  }
  for (const name of ["blood_pressure", "cholesterol_level"] as const) {
    if (!f[name]) continue;
    if (!(LEVELS as readonly string[]).includes(f[name])) errors[name] = "sym.err.choice";
    else if (name === "blood_pressure") body.symptoms.blood_pressure = f[name];
    else body.cholesterol_level = f[name];
  }
  return Object.keys(errors).length ? { errors } : { body, errors };
}

const TYPE_KEYS: Record<string, MessageKey> = {
  missing: "sym.err.missing",
  less_than_equal: "sym.err.ageRange",
  greater_than_equal: "sym.err.ageRange",
  int_parsing: "sym.err.ageInt",
  int_type: "sym.err.ageInt",
  int_from_float: "sym.err.ageInt",
  literal_error: "sym.err.choice",
};

/**
 * The API's field errors on the form: `symptoms.blood_pressure` and `blood_pressure` are the
 * same field; a type we have no text for keeps the server's own message; a detail for no
 * field of the form (e.g. `patient_id`) goes to `form`.
 */
export function apiFieldErrors(details: any[] | null | undefined): FieldErrors {
  const out: FieldErrors = {};
  for (const d of details ?? []) {
    const name = String(d?.field ?? "").split(".").pop() ?? "";
    const text = TYPE_KEYS[d?.type] ?? String(d?.message ?? "");
    if ((PROFILE as readonly string[]).includes(name)) out[name as Field] ??= text;
    else out.form ??= `${d?.field ?? ""}: ${d?.message ?? ""}`;
  }
  return out;
}

/** 0.255 → "25,5 %" (fr) / "25.5%" (en). */
export function percent(lang: "fr" | "en", v: number): string {
  return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { style: "percent", maximumFractionDigits: 1 }).format(v);
}
