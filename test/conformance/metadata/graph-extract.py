"""
How test/conformance/metadata/graph-v1.0.json was made (run once; the JSON is the pinned test data):
    git show f54f11b60956ea7b185ca0447b2b80805836ec7b:clean_v10_metadata/cleanMetadata.xml > cleanMetadata.xml
    python3 graph-extract.py cleanMetadata.xml > graph-v1.0.json
from microsoftgraph/msgraph-metadata. It keeps the entity sets, entity, complex and enum types and
bound operations the service and the sandbox use (and every type their properties reach), with each
type's base type, properties (type, Nullable=false) and navigation properties.
"""
import json, re, sys
import xml.etree.ElementTree as ET

NS = {'e': 'http://docs.oasis-open.org/odata/ns/edm'}
ROOTS = ['entity', 'directoryObject', 'user', 'group', 'outlookItem', 'event', 'contact', 'message', 'todo', 'todoTaskList',
         'todoTask', 'linkedResource', 'contactFolder', 'mailFolder', 'calendar', 'subscription', 'singleValueLegacyExtendedProperty',
         'multiValueLegacyExtendedProperty', 'attachment', 'extension', 'checklistItem', 'attachmentBase', 'attachmentSession',
         'convertIdResult', 'changeNotification', 'changeNotificationCollection', 'resourceData']
OPERATIONS = {'delta', 'cancel', 'translateExchangeIds', 'reauthorize'}
SETS = {'users', 'groups', 'subscriptions'}

def short(t):
    return t.replace('microsoft.graph.', '').replace('graph.', '')

def inner(t):
    return re.sub(r'^Collection\((.*)\)$', r'\1', t)

schema = ET.parse(sys.argv[1]).getroot().find('.//e:Schema', NS)
types = {t.get('Name'): t for kind in ('EntityType', 'ComplexType') for t in schema.findall(f'e:{kind}', NS)}
enums = {t.get('Name'): t for t in schema.findall('e:EnumType', NS)}
keep = set()

def collect(name):
    if name in keep or name not in types:
        return
    keep.add(name)
    t = types[name]
    if t.get('BaseType'):
        collect(short(t.get('BaseType')))
    for p in t.findall('e:Property', NS):
        collect(short(inner(p.get('Type'))))

for r in ROOTS:
    collect(r)
out = {'source': {'repository': 'microsoftgraph/msgraph-metadata', 'path': 'clean_v10_metadata/cleanMetadata.xml',
                  'commit': 'f54f11b60956ea7b185ca0447b2b80805836ec7b', 'commitDate': '2026-08-20'},
       'entitySets': {}, 'entityTypes': {}, 'complexTypes': {}, 'enumTypes': {}, 'operations': []}
for name in sorted(keep):
    t = types[name]
    d = {}
    if t.get('BaseType'):
        d['baseType'] = short(t.get('BaseType'))
    if t.get('Abstract') == 'true':
        d['abstract'] = True
    if t.get('OpenType') == 'true':
        d['openType'] = True
    d['properties'] = {}
    for p in t.findall('e:Property', NS):
        d['properties'][p.get('Name')] = {'type': short(p.get('Type')), **({'nullable': False} if p.get('Nullable') == 'false' else {})}
        e = short(inner(p.get('Type')))
        if e in enums:
            out['enumTypes'][e] = [m.get('Name') for m in enums[e].findall('e:Member', NS)]
    navs = {p.get('Name'): {'type': short(p.get('Type')), **({'containsTarget': True} if p.get('ContainsTarget') == 'true' else {})}
            for p in t.findall('e:NavigationProperty', NS)}
    if navs:
        d['navigationProperties'] = navs
    out['entityTypes' if t.tag.endswith('EntityType') else 'complexTypes'][name] = d
for tag in ('Function', 'Action'):
    for f in schema.findall(f'e:{tag}', NS):
        params = f.findall('e:Parameter', NS)
        if f.get('Name') not in OPERATIONS or f.get('IsBound') != 'true' or not params:
            continue
        binding = short(params[0].get('Type'))
        if short(inner(binding)) not in keep:
            continue
        rt = f.find('e:ReturnType', NS)
        for p in params[1:]:
            e = short(inner(p.get('Type')))
            if e in enums:
                out['enumTypes'][e] = [m.get('Name') for m in enums[e].findall('e:Member', NS)]
        out['operations'].append({'kind': tag.lower(), 'name': f.get('Name'), 'bindingParameter': binding,
                                  'parameters': {p.get('Name'): short(p.get('Type')) for p in params[1:]},
                                  **({'returnType': short(rt.get('Type'))} if rt is not None else {})})
out['operations'].sort(key=lambda o: (o['name'], o['bindingParameter']))
for es in schema.find('e:EntityContainer', NS).findall('e:EntitySet', NS):
    if es.get('Name') in SETS:
        out['entitySets'][es.get('Name')] = short(es.get('EntityType'))
out['enumTypes'] = dict(sorted(out['enumTypes'].items()))
json.dump(out, sys.stdout, indent=1)
print()
