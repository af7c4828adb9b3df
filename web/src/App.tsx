/** The session gate and the role router. Roles' screens load lazily, one chunk per role. */
import { lazy, Suspense, useEffect, useState } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { CssBaseline, ThemeProvider, createTheme, CircularProgress, Box } from "@mui/material";
import { session } from "./api/http";
import { Claims } from "./api/session";
import { AppProvider, useLang } from "./state";
import { Login } from "./components/Login";
import { Layout } from "./components/Layout";

const PatientRoutes = lazy(() => import("./roles/patient/routes"));
const DoctorRoutes = lazy(() => import("./roles/doctor/routes"));
const PharmacistRoutes = lazy(() => import("./roles/pharmacist/routes"));
const AdminRoutes = lazy(() => import("./roles/admin/routes"));

const theme = createTheme({
  palette: {
    primary: { main: "#0b6e6e" },
    secondary: { main: "#6a3d9a" },
    success: { main: "#1b7a3a" },
    warning: { main: "#a35a00" },
    info: { main: "#01579b" },  // MUI's default info blue gives white text 3.7:1 (axe: serious); this is 7.4:1
    error: { main: "#b3261e" },
  },
});

const home: Record<string, string> = { patient: "/patient", doctor: "/doctor", pharmacist: "/pharmacist", admin: "/admin" };

export function App() {
  const [user, setUser] = useState<Claims | null>(session.user);
  const [lang, setLang] = useLang();
  useEffect(() => session.subscribe(setUser), []);
  const fallback = <Box sx={{ p: 4, textAlign: "center" }}><CircularProgress aria-label="…" /></Box>;
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <BrowserRouter>
        {!user ? (
          <Routes>
            <Route path="*" element={<Login lang={lang} setLang={setLang} />} />
          </Routes>
        ) : (
          <AppProvider key={user.sub} user={user} lang={lang} setLang={setLang}>
            <Layout>
              <Suspense fallback={fallback}>
                <Routes>
                  {user.role === "patient" && <Route path="/patient/*" element={<PatientRoutes />} />}
                  {user.role === "doctor" && <Route path="/doctor/*" element={<DoctorRoutes />} />}
                  {user.role === "pharmacist" && <Route path="/pharmacist/*" element={<PharmacistRoutes />} />}
                  {user.role === "admin" && <Route path="/admin/*" element={<AdminRoutes />} />}
                  <Route path="*" element={<Navigate to={home[user.role]} replace />} />
                </Routes>
              </Suspense>
            </Layout>
          </AppProvider>
        )}
      </BrowserRouter>
    </ThemeProvider>
  );
}
