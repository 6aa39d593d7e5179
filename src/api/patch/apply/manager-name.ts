// The field manager recorded for a write whose request names none: the User-Agent up to its first
// "/", without non-printable characters, cut to 128 bytes (kube-apiserver's prefixFromUserAgent).
// kubectl sends its own names through ?fieldManager= (kubectl-client-side-apply, kubectl-edit,
// kubectl-create, kubectl for server-side apply ...); a request without one from kubectl
// ("kubectl/v1.32.0 (linux/amd64) kubernetes/abc") is recorded as "kubectl".

/** metav1 validation's FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

export function defaultManagerName(userAgent: string | undefined): string {
  const head = (userAgent ?? "").split("/")[0];
  let out = "";
  let bytes = 0;
  for (const ch of head) {
    if (!isPrintable(ch)) continue;
    const len = Buffer.byteLength(ch, "utf8");
    if (bytes + len > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += len;
  }
  return out;
}

/** The manager of a write: the fieldManager parameter when given, else derived from the User-Agent. */
export function managerOrUserAgent(fieldManager: string | undefined, userAgent: string | undefined): string {
  return fieldManager ? fieldManager : defaultManagerName(userAgent);
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
function isPrintable(ch: string): boolean {
  return ch === " " || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}
