// The end-to-end demo arrives with the sandbox issue; until then the script exists and says so.
console.log('delete-sync demo: not yet available (needs the tenant sandbox).');
