/**
 * `SecretStore`: passwords and keys the connections need, kept apart from the settings (which the
 * renderer may see) and encrypted at rest. Settings refer to a secret by name only.
 */
export interface SecretStore {
  /** Encrypts and stores; replaces a secret of the same name. */
  set(name: string, plaintext: string): void;
  /** The plaintext, or null when there is no such secret. */
  get(name: string): string | null;
  /** Returns whether there was such a secret. */
  delete(name: string): boolean;
  /** Names of the stored secrets, sorted (never their values). */
  names(): string[];
}

/** Secret names are ids (e.g. `opcua.bess.password`), so they can be logged and listed safely. */
export function assertSecretName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,127}$/i.test(name)) {
    throw new Error(`secret name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" or "-" (at most 128)`);
  }
}
