/** Public API of the standard-load-profile model: local civil time, public holidays and the BDEW profiles. */
export { localDateParts, localQuarterHourSlots, utcOffsetMs, isLeapYear, weekdayOf, dayOfYearOf, QUARTER_HOUR_MS } from './local-time';
export type { LocalDateParts, LocalQuarterHourSlot } from './local-time';
export { easterSunday, publicHolidays, isPublicHoliday, defaultCountryForTimeZone, SUPPORTED_HOLIDAY_COUNTRIES } from './holidays';
export type { PublicHoliday } from './holidays';
export {
  BDEW_1999_PROFILE_IDS,
  BDEW_2025_PROFILE_IDS,
  DYNAMISED_PROFILE_IDS,
  isDynamisedByDefault,
  h0DynamisationFactor,
  bdew1999Period,
  bdewDayType,
  parseBdew1999Csv,
  parseBdew2025Csv,
  createLoadProfileLibrary,
  quarterHourSeriesKw,
} from './bdew';
export type {
  Bdew1999ProfileId,
  Bdew2025ProfileId,
  LoadProfileId,
  BdewDayType,
  Bdew1999Period,
  BdewDayTypeOptions,
  Bdew1999Table,
  Bdew2025Table,
  ProfileLookupParts,
  LoadProfileLibrary,
  LoadProfileSources,
  QuarterHourSeriesRequest,
  QuarterHourSeries,
} from './bdew';
