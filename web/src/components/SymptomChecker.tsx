/**
 * The symptom checker (`POST /api/symptoms/`): a patient for themselves, a doctor for a patient
 * who granted `records`. Shows the prediction, the top three, the model's cross-validated
 * accuracy next to its baseline, and the disclaimer first, in the user's language.
 */
import { FormEvent, useState } from "react";
import { Alert, Box, Button, Checkbox, FormControlLabel, FormGroup, FormLabel, LinearProgress, List, ListItem, ListItemText, MenuItem, TextField, Typography } from "@mui/material";
import { api, ApiError } from "../api/http";
import { useApp } from "../state";
import { MessageKey } from "../i18n/messages";
import { apiFieldErrors, buildBody, emptyForm, FieldErrors, GENDERS, LEVELS, percent, SymptomForm, SYMPTOMS } from "./symptoms";

function Result({ r }: { r: any }) {
  const { t, lang } = useApp();
  const pc = (v: number) => percent(lang, v);
  const cv = r.cv_accuracy;
  const fieldNames = (xs: string[]) => xs.map((x) => t(`sym.${x}` as MessageKey)).join(", ");
  return (
    <Box data-testid="symptom-result" aria-live="polite">
      <Alert severity="warning" data-testid="symptom-disclaimer" sx={{ mb: 2, fontWeight: 600 }}>{r.disclaimer?.[lang] ?? r.disclaimer?.fr}</Alert>
      <Typography variant="overline" component="p">{t("sym.prediction")}</Typography>
      <Typography variant="h5" component="p" data-testid="symptom-prediction">{r.prediction}</Typography>
      <Typography sx={{ mb: 1 }}>{t("sym.confidence", { value: pc(r.confidence) })}</Typography>
      <Typography variant="subtitle1" component="h3">{t("sym.top")}</Typography>
      <List dense data-testid="symptom-top">
        {r.top.map((x: any) => (
          <ListItem key={x.disease} data-testid="symptom-top-item" sx={{ display: "block" }}>
            <ListItemText primary={`${x.disease} · ${pc(x.probability)}`} />
            <LinearProgress variant="determinate" value={Math.round(x.probability * 100)} aria-label={`${x.disease} ${pc(x.probability)}`} />
          </ListItem>
        ))}
      </List>
      <Typography variant="subtitle1" component="h3">{t("sym.accuracy")}</Typography>
      <Box data-testid="symptom-accuracy" sx={{ mb: 1 }}>
        <Typography>{t("sym.cv", { mean: pc(cv.mean), std: pc(cv.std) })}</Typography>
        <Typography>{t("sym.unseen", { value: pc(cv.unseen_profiles_mean) })}</Typography>
        <Typography sx={{ fontWeight: 600 }}>{t("sym.baseline", { value: pc(cv.majority_baseline) })}</Typography>
        <Typography variant="body2" color="text.secondary">{t("sym.modelVersion", { version: r.model_version, scheme: cv.scheme })}</Typography>
      </Box>
      {r.inputs?.from_profile?.length > 0 && <Typography variant="body2">{t("sym.usedProfile", { fields: fieldNames(r.inputs.from_profile) })}</Typography>}
      {r.inputs?.outside_training_range?.length > 0 && (
        <Alert severity="info" sx={{ mt: 1 }} data-testid="symptom-outside">{t("sym.outside", { fields: fieldNames(r.inputs.outside_training_range) })}</Alert>
      )}
    </Box>
  );
}

export function SymptomChecker({ patientId }: { patientId?: string }) {
  const { t } = useApp();
  const [form, setForm] = useState<SymptomForm>(emptyForm);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [result, setResult] = useState<any>(null);
  const [busy, setBusy] = useState(false);
  const msg = (v?: string) => (v === undefined ? undefined : v.startsWith("sym.") ? t(v as MessageKey) : v);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { body, errors: local } = buildBody(form, patientId);
    setErrors(local); setFailure(null);
    if (!body) { setResult(null); return; }
    setBusy(true);
    try {
      setResult(await api.post("/api/symptoms/", body));
    } catch (err: any) {
      setResult(null);
      if (err instanceof ApiError && err.status === 400 && err.details?.length) setErrors(apiFieldErrors(err.details));
      else if (err instanceof ApiError && err.status === 503) setFailure(t("sym.err.notReady"));
      else if (err instanceof ApiError && err.code === "no_grant") setFailure(t("sym.err.noGrant"));
      else setFailure(t("common.error", { message: err.message }));
    } finally { setBusy(false); }
  };
  const select = (name: "gender" | "blood_pressure" | "cholesterol_level", options: readonly string[], prefix: string) => (
    <TextField select name={name} label={t(`sym.${name}` as MessageKey)} value={form[name]} sx={{ minWidth: 190 }}
      onChange={(e) => setForm({ ...form, [name]: e.target.value })} error={!!errors[name]} helperText={msg(errors[name])}
      slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }} data-testid={`sym-${name}`}>
      <MenuItem value="">{t("sym.fromProfile")}</MenuItem>
      {options.map((o) => <MenuItem key={o} value={o}>{t(`${prefix}.${o}` as MessageKey)}</MenuItem>)}
    </TextField>
  );
  const formError = msg(errors.form) ?? (Object.keys(errors).length ? t("sym.err.form") : null);
  return (
    <Box>
      <Box component="form" onSubmit={submit} noValidate data-testid="symptom-form" sx={{ mb: 2 }}>
        <Typography variant="body2" sx={{ mb: 1 }}>{t("sym.intro")}</Typography>
        <Box component="fieldset" sx={{ border: 0, p: 0, m: 0 }}>
          <FormLabel component="legend">{t("sym.symptoms")}</FormLabel>
          <FormGroup row sx={{ mb: 1 }}>
            {SYMPTOMS.map((s) => (
              <FormControlLabel key={s} label={t(`sym.${s}` as MessageKey)}
                control={<Checkbox name={s} checked={form[s]} onChange={(e) => setForm({ ...form, [s]: e.target.checked })} />} />
            ))}
          </FormGroup>
        </Box>
        <Box sx={{ display: "flex", gap: 1.5, flexWrap: "wrap", alignItems: "flex-start", mb: 1.5 }}>
          <TextField name="age" label={t("sym.age")} value={form.age} placeholder={t("sym.fromProfile")} sx={{ width: 150 }}
            onChange={(e) => setForm({ ...form, age: e.target.value })} error={!!errors.age} helperText={msg(errors.age)}
            slotProps={{ htmlInput: { inputMode: "numeric" }, inputLabel: { shrink: true } }} />
          {select("gender", GENDERS, "sym.gender")}
          {select("blood_pressure", LEVELS, "sym.level")}
          {select("cholesterol_level", LEVELS, "sym.level")}
        </Box>
        {formError && <Alert severity="error" role="alert" sx={{ mb: 1 }} data-testid="symptom-error">{formError}</Alert>}
        {failure && <Alert severity="error" role="alert" sx={{ mb: 1 }} data-testid="symptom-failure">{failure}</Alert>}
        <Button type="submit" variant="contained" disabled={busy} data-testid="symptom-submit">{busy ? t("sym.running") : t("sym.submit")}</Button>
      </Box>
      {result && <Result r={result} />}
    </Box>
  );
}
