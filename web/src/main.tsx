/** Entry: theme, router, session gate; each role's screens are a lazy chunk (first-screen budget). */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
