/** Scenario files (`lfc-scenario/1`): schema, validation, and the weather inputs they name. */
export * from './schema.js';
export * from './validate.js';
export * from './weather-csv.js';
export * from './open-meteo.js';
