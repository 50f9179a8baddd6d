/** Historical reports: facts folded into 15-minute aggregates and their hour and day roll-ups as they commit, read per period. */
export { startReportFolder, type ReportFolder, type ReportFolderOptions } from './report-folder.ts';
export { foldReportEvents, sumIntervals, type QueueSkills, type ReportEvent } from './fold-events.ts';
export { addReportTimeZones, rebuildRollUps, reportTimeZones } from './roll-up.ts';
export { readPlan, type ReadPlan } from './read-plan.ts';
export { readIntervals, type IntervalTotals, type ReadOptions } from './read-intervals.ts';
export { reportMetrics, type ReportMetrics } from './report-metrics.ts';
export { ReportQuery, Granularities, MAX_REPORT_DAYS, type Granularity } from './report-query.ts';
export { queueReport, DEFAULT_SERVICE_LEVEL, type QueueReportRow, type ServiceLevelTarget } from './queue-report.ts';
export { agentReport, type AgentReportRow } from './agent-report.ts';
export { wrapUpReport, type WrapUpReportRow } from './wrap-up-report.ts';
export { skillsReport, type SkillReportRow } from './skills-report.ts';
export { campaignReport, campaignCsvRow, CampaignReportQuery, DEFAULT_REPLY_WINDOW_MS, type CampaignReportRow } from './campaign-report.ts';
export { handleTimes, type HandleTimes } from './handle-times.ts';
export { reportCsv } from './report-csv.ts';
export { WAIT_BUCKETS_SECONDS } from './wait-buckets.ts';
export { INTERVAL_MS, intervalStartOf } from './interval.ts';
