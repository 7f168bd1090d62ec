/** Settings and secrets of the main process (and of serve mode): interfaces and their implementations. */
export { defaultSettings, salvageSettings, settingsSchema, connectionSchema, OPCUA_SECURITY_MODES, SETTINGS_KEYS } from './settings-schema';
export type { ConnectionSettings, Settings, SettingsKey } from './settings-schema';
export type { EncryptedSecretsSection, SettingsChangeListener, SettingsStore } from './settings-store';
export { JsonFileSettingsStore } from './json-file-settings-store';
export { ElectronSettingsStore } from './electron-settings-store';
export type { SecretStore } from './secret-store';
export { SafeStorageSecretStore } from './safe-storage-secret-store';
export type { SafeStorageLike } from './safe-storage-secret-store';
export { FileSecretStore } from './file-secret-store';
