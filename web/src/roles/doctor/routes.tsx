/** The doctor's screens (one lazy chunk). */
import { Route, Routes } from "react-router";
import { Patients } from "./Patients";
import { PatientView } from "./PatientView";
import { Wall } from "./Wall";
import { DoctorAppointments } from "./Appointments";
import { Chat } from "../../components/Chat";
import { Section } from "../../components/LiveVitals";
import { useApp, useFetch } from "../../state";
import { usePatientNames } from "./names";

/** My granted patients as chat contacts. */
function DoctorChat() {
  const { t } = useApp();
  const grants = useFetch<any[]>("/api/grants");
  const nameOf = usePatientNames();
  const ids = [...new Set((grants.data ?? []).map((g) => g.patient_id))];
  return <Section title={t("chat.title")} testId="doctor-chat"><Chat contacts={ids.map((id) => ({ id, label: nameOf(id) }))} /></Section>;
}

export default function DoctorRoutes() {
  return (
    <Routes>
      <Route index element={<Wall />} />
      <Route path="patients" element={<Patients />} />
      <Route path="patients/:id" element={<PatientView />} />
      <Route path="appointments" element={<DoctorAppointments />} />
      <Route path="chat" element={<DoctorChat />} />
    </Routes>
  );
}
