export { exportModel, type ExportReport } from './export-model.js';
