/** Patient names a doctor may know: the app's name store (GET /api/people/names, by relation). */
import { useNames } from "../../names/react";

export const usePatientNames = useNames;
