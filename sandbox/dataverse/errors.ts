/**
 * Dataverse's error answer: an HTTP status and `{ error: { code, message } }` with the platform's hex
 * codes, so clients can be written against the real service's codes.
 */
export const DV_CODE = {
  objectDoesNotExist: '0x80040217',
  privilegeDenied: '0x80040220',
  /** unManagedIdsAccessDenied: the privilege check passed, the access check (depth, ownership) failed. */
  accessDenied: '0x80048306',
  invalidArgument: '0x80040203',
  unexpected: '0x80040216',
  /** OData-level failures: unknown property, segment or syntax. */
  odata: '0x80060888',
  concurrencyVersionMismatch: '0x80060882',
  duplicateRecord: '0x80040237',
  notMemberOfOrganization: '0x80072560',
  throttleRequests: '0x80072322',
  throttleConcurrency: '0x80072326',
  /** A synchronous plug-in or webhook step failed and rolled the operation back. */
  pluginFailed: '0x80040265',
} as const;

export class DataverseFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'DataverseFault';
  }

  body(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function recordNotFound(logicalName: string, id: string): DataverseFault {
  return new DataverseFault(404, DV_CODE.objectDoesNotExist, `Entity '${logicalName}' With Id = ${id} Does Not Exist`);
}

export function badRequest(message: string, code: string = DV_CODE.odata): DataverseFault {
  return new DataverseFault(400, code, message);
}

/** The platform's privilege check failure; `type=8` is a systemuser principal. */
export function privilegeDenied(systemUserId: string, privilege: string, detail = ''): DataverseFault {
  return new DataverseFault(
    403,
    DV_CODE.privilegeDenied,
    `Principal user (Id=${systemUserId}, type=8, roleCount=1, accessMode=0), is missing ${privilege} privilege${detail}. Consider adding the privilege to one of the principal's security roles.`,
  );
}

/**
 * The access check after a passed privilege check: the privilege's depth does not reach the record
 * (Learn: Troubleshoot Dataverse client errors, "does not have ... right(s) for record").
 */
export function recordAccessDenied(systemUserId: string, right: string, logicalName: string, id: string): DataverseFault {
  return new DataverseFault(403, DV_CODE.accessDenied, `Principal with id ${systemUserId} does not have ${right} right(s) for record with id ${id} of entity ${logicalName}.`);
}
