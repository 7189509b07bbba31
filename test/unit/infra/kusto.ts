/**
 * The official Kusto parser (`@kusto/language-service-next`, Microsoft's Kusto.Language compiled to
 * JavaScript with Bridge.NET) with the Application Insights tables declared, so a query is checked for
 * syntax *and* for names: an unknown table, column or function is an error, as it is in the Logs blade.
 *
 * The columns are the classic (Application Insights resource) schema as Microsoft documents it in
 * "Migrate to workspace-based Application Insights resources", section "Workspace-based resource
 * changes" (legacy tables customEvents, customMetrics, requests, dependencies, traces, exceptions). The
 * workbook and the queries run against the Application Insights resource, so these are the names they use.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Columns every classic table shares. */
const COMMON =
  'timestamp:datetime, itemType:string, itemId:string, iKey:string, appId:string, appName:string, application_Version:string, ' +
  'client_Browser:string, client_City:string, client_CountryOrRegion:string, client_IP:string, client_Model:string, client_OS:string, ' +
  'client_StateOrProvince:string, client_Type:string, cloud_RoleInstance:string, cloud_RoleName:string, customDimensions:dynamic, ' +
  'operation_Id:string, operation_Name:string, operation_ParentId:string, operation_SyntheticSource:string, sdkVersion:string, ' +
  'session_Id:string, user_AccountId:string, user_AuthenticatedId:string, user_Id:string';

export const APP_INSIGHTS_TABLES: Readonly<Record<string, string>> = {
  customEvents: `${COMMON}, name:string, itemCount:int, customMeasurements:dynamic`,
  customMetrics: `${COMMON}, name:string, value:real, valueCount:int, valueSum:real, valueMin:real, valueMax:real, valueStdDev:real`,
  requests: `${COMMON}, id:string, name:string, url:string, source:string, success:string, resultCode:string, duration:real, performanceBucket:string, itemCount:int, customMeasurements:dynamic`,
  dependencies: `${COMMON}, id:string, name:string, target:string, type:string, data:string, success:string, resultCode:string, duration:real, performanceBucket:string, itemCount:int, customMeasurements:dynamic`,
  traces: `${COMMON}, message:string, severityLevel:int, itemCount:int, customMeasurements:dynamic`,
  exceptions: `${COMMON}, problemId:string, handledAt:string, type:string, message:string, assembly:string, method:string, outerType:string, outerMessage:string, outerAssembly:string, outerMethod:string, innermostType:string, innermostMessage:string, innermostAssembly:string, innermostMethod:string, severityLevel:int, details:dynamic, itemCount:int, customMeasurements:dynamic`,
};

export interface KustoDiagnostic {
  severity: string;
  code: string;
  message: string;
  /** The text the diagnostic points at, for a readable failure. */
  at: string;
}

/** The few members of Kusto.Language this module calls. */
interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { $ctor1: new (name: string, members: unknown[], isOpen: boolean) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: {
    ParseAndAnalyze(text: string, globals: unknown): {
      GetDiagnostics(): { Count: number; getItem(i: number): { Severity: string; Code: string; Message: string; Start: number; Length: number } };
    };
  };
}

let loaded: { language: KustoLanguage; globals: unknown } | undefined;

function kusto() {
  if (loaded === undefined) {
    // The Bridge.NET runtime first: the language library is written against its globals.
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.js');
    const language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
    const tables = Object.entries(APP_INSIGHTS_TABLES).map(([name, schema]) => new language.Symbols.TableSymbol.$ctor7(name, `(${schema})`, null));
    const database = new language.Symbols.DatabaseSymbol.$ctor1('ApplicationInsights', tables, false);
    loaded = { language, globals: language.GlobalState.Default.WithDatabase(database) };
  }
  return loaded;
}

/** Every diagnostic the parser and semantic analysis report (errors and warnings). */
export function kustoDiagnostics(query: string): KustoDiagnostic[] {
  const { language, globals } = kusto();
  const found = language.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const out: KustoDiagnostic[] = [];
  for (let i = 0; i < found.Count; i++) {
    const d = found.getItem(i);
    out.push({ severity: String(d.Severity), code: d.Code, message: d.Message, at: query.slice(d.Start, d.Start + Math.max(d.Length, 20)) });
  }
  return out;
}
