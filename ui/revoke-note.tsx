// The revoke note's field, shared by the entry page and the batch actions (in the first screen's bundle).

/** The optional note of a revoke (the API takes up to 200 characters). */
export function RevokeNoteField({
  id,
  note,
  onNote,
}: {
  id: string
  note: string
  onNote: (note: string) => void
}) {
  return (
    <div class="field grow">
      <label for={id}>Revoke note (optional, at most 200 characters)</label>
      <input id={id} maxlength={200} value={note} onInput={(e) => onNote(e.currentTarget.value)} />
    </div>
  )
}
