/** The doctor's screens (one lazy chunk). */
import { Route, Routes } from "react-router";
import { Patients } from "./Patients";
import { PatientView } from "./PatientView";
import { Wall } from "./Wall";
import { DoctorAppointments } from "./Appointments";
import { Chat } from "../../components/Chat";
import { Chatbot } from "../../components/Chatbot";
import { DoctorTreatments } from "./Treatments";
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

function DoctorAssistant() {
  const { t } = useApp();
  return <Section title={t("nav.doctorAssistant")} testId="doctor-assistant"><Chatbot /></Section>;
}

export default function DoctorRoutes() {
  return (
    <Routes>
      <Route index element={<Wall />} />
      <Route path="patients" element={<Patients />} />
      <Route path="patients/:id" element={<PatientView />} />
      <Route path="appointments" element={<DoctorAppointments />} />
      <Route path="chat" element={<DoctorChat />} />
      <Route path="treatments" element={<DoctorTreatments />} />
      {/* The assistant answers general questions; a doctor's carry no patient data (server/chatbot/grounding.py). */}
      <Route path="assistant" element={<DoctorAssistant />} />
    </Routes>
  );
}
