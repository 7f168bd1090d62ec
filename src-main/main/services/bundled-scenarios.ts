/** The bundled scenarios' picker list; the implementation lives in the core, which serve mode shares. */
export { listBundledScenarios } from '../../core/bundled-scenarios';
