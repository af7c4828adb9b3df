/** A horizontally scrollable region (wide tables on a phone) that keyboard users can focus and scroll. */
import { ReactNode } from "react";
import { Box } from "@mui/material";

export function Scroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box tabIndex={0} role="region" aria-label={label} sx={{ overflowX: "auto", "&:focus-visible": { outline: "2px solid #0b6e6e" } }}>
      {children}
    </Box>
  );
}
