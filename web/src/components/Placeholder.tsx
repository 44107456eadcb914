/** A screen that is not built yet (a seam for the workflow list, sign-in and the rest). */
export function Placeholder({ title }: { title: string }) {
  return (
    <main className="placeholder">
      <h1>{title}</h1>
      <p>Not built yet.</p>
      <a href="/">Back to the builder</a>
    </main>
  );
}
