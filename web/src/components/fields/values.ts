import type { Json } from "../../definition/types";

/** A typed value from a text box: JSON when it parses (true, 3, ["a"], {"a":1}), else the text itself. */
export function parseLoose(text: string): Json {
  const t = text.trim();
  if (t === "") return "";
  try {
    return JSON.parse(t) as Json;
  } catch {
    return text;
  }
}

/** The text a value is edited as (the inverse of parseLoose for strings that would not parse). */
export function showLoose(value: Json | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") {
    try {
      JSON.parse(value);
      return JSON.stringify(value); // "true" the string stays a string
    } catch {
      return value;
    }
  }
  return JSON.stringify(value);
}
