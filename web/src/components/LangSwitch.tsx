/** FR | EN toggle; the choice is kept in localStorage. */
import { ToggleButton, ToggleButtonGroup } from "@mui/material";
import { Lang } from "../i18n/messages";

export function LangSwitch({ lang, setLang, label }: { lang: Lang; setLang: (l: Lang) => void; label: string }) {
  return (
    <ToggleButtonGroup size="small" exclusive value={lang} aria-label={label}
      onChange={(_, v) => v && setLang(v)}>
      <ToggleButton value="fr" lang="fr" title="Français" data-testid="lang-fr">FR</ToggleButton>
      <ToggleButton value="en" lang="en" title="English" data-testid="lang-en">EN</ToggleButton>
    </ToggleButtonGroup>
  );
}
