/** Toasts for new notifications and action results, announced politely to screen readers. */
import { Alert, Box } from "@mui/material";
import { useApp } from "../state";

export function Toaster() {
  const { toasts, dismiss, t } = useApp();
  return (
    <Box role="region" aria-label={t("notif.title")} aria-live="polite"
      sx={{ position: "fixed", bottom: 12, right: 12, left: { xs: 12, sm: "auto" }, zIndex: 2000, display: "grid", gap: 1, maxWidth: 440 }}>
      {toasts.map((toast) => (
        <Alert key={toast.id} data-testid="toast" severity={toast.severity} variant="filled" elevation={4}
          onClose={() => dismiss(toast.id)} slotProps={{ closeButton: { "aria-label": t("notif.close") } as any }}>
          {toast.text}
        </Alert>
      ))}
    </Box>
  );
}
