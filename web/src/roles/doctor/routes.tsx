/** The doctor's screens (one lazy chunk). */
import { Route, Routes } from "react-router";
import { Patients } from "./Patients";
import { PatientView } from "./PatientView";
import { Wall } from "./Wall";
import { DoctorAppointments } from "./Appointments";

export default function DoctorRoutes() {
  return (
    <Routes>
      <Route index element={<Wall />} />
      <Route path="patients" element={<Patients />} />
      <Route path="patients/:id" element={<PatientView />} />
      <Route path="appointments" element={<DoctorAppointments />} />
    </Routes>
  );
}
