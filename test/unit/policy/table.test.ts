import { describe, expect, it } from 'vitest';
import { RULES, RULE_IDS } from '../../../src/policy/table.js';

describe('the rule table', () => {
  it('has unique, stable ids', () => {
    expect(new Set(RULE_IDS).size).toBe(RULES.length);
  });

  it('has the rows of design.md §1 in both directions', () => {
    const rows = {
      'crm.email': 'skip',
      'crm.appointment.active.future': 'propagate',
      'crm.appointment.active.past': 'skip',
      'crm.appointment.inactive': 'skip',
      'crm.task.active': 'propagate',
      'crm.task.inactive': 'skip',
      'crm.contact': 'propagate',
      'outlook.email': 'skip',
      'outlook.appointment.active.organizer': 'propagate',
      'outlook.appointment.active.attendee': 'skip',
      'outlook.appointment.inactive': 'skip',
      'outlook.task.active': 'propagate',
      'outlook.task.inactive': 'skip',
      'outlook.contact': 'skip',
    };
    for (const [id, action] of Object.entries(rows)) expect(RULES.find((rule) => rule.id === id)?.action).toBe(action);
  });

  it('every rule that is not a table row skips', () => {
    const propagating = RULES.filter((rule) => rule.action === 'propagate').map((rule) => rule.id);
    expect(propagating.sort()).toEqual([
      'crm.appointment.active.future',
      'crm.contact',
      'crm.occurrence.active.future',
      'crm.series.active',
      'crm.task.active',
      'outlook.appointment.active.organizer',
      'outlook.occurrence.organizer',
      'outlook.series.organizer',
      'outlook.task.active',
    ]);
  });

  it('every rule explains itself in a sentence', () => {
    for (const rule of RULES) expect(rule.reason).toMatch(/^[A-Z].{20,}\.$/);
  });
});
