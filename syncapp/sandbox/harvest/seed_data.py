"""Fixed vocabularies for the seeded agency (names are invented)."""

ACCOUNT_ID = 1390001
ACCOUNT_NAME = "Northwind Digital (sandbox)"
SUBDOMAIN = "northwind-sandbox"

PEOPLE = [
    # first, last, roles, access role, cost rate, default hourly rate, contractor
    ("Avery", "Quinn", ["Leadership"], "administrator", "95.00", "220.00", False),
    ("Jordan", "Blake", ["Project Management"], "manager", "70.00", "175.00", False),
    ("Priya", "Raman", ["Project Management"], "manager", "68.00", "175.00", False),
    ("Mateo", "Silva", ["Engineering"], "member", "62.00", "160.00", False),
    ("Hannah", "Becker", ["Engineering"], "member", "64.00", "160.00", False),
    ("Kenji", "Watanabe", ["Engineering"], "member", "58.00", "150.00", False),
    ("Chloe", "Dubois", ["Design"], "member", "55.00", "145.00", False),
    ("Samuel", "Okafor", ["Design"], "member", "52.00", "140.00", False),
    ("Lena", "Novak", ["QA"], "member", "45.00", "120.00", False),
    ("Oliver", "Grant", ["Content"], "member", "40.00", "110.00", False),
    ("Ines", "Moreau", ["Engineering"], "member", "85.00", "180.00", True),
    ("Tomasz", "Kowalski", ["Design"], "member", "75.00", "150.00", True),
]

TASKS = [
    # name, billable by default, default hourly rate, is_default
    ("Project Management", True, "150.00", True),
    ("Design", True, "140.00", True),
    ("Development", True, "160.00", True),
    ("Quality Assurance", True, "120.00", False),
    ("Strategy", True, "190.00", False),
    ("Content", True, "110.00", False),
    ("Support", True, "130.00", False),
    ("Internal Meetings", False, None, True),
]

EXPENSE_CATEGORIES = [
    # name, unit name, unit price
    ("Travel", None, None),
    ("Meals", None, None),
    ("Hotel", None, None),
    ("Software", None, None),
    ("Mileage", "mile", "0.67"),
]

ITEM_CATEGORIES = [("Service", True, False), ("Product", False, False), ("Expense", False, True)]

# 40 clients: name, currency, e-mail domain. The first six are near-duplicates of contacts the
# Xero organisation already has (the Xero seed mirrors them with the hinted spelling).
CLIENTS = [
    ("Acme Corporation", "USD", "acme.example.com", "ACME Corp.", "Accounts@Acme.example.com"),
    (
        "Bluefin Studios",
        "USD",
        "bluefin.example.com",
        "Blue Fin Studios",
        "billing@bluefin.example.com",
    ),
    (
        "Lumen Labs Ltd",
        "GBP",
        "lumenlabs.example.co.uk",
        "Lumen Labs Limited",
        "AP@LumenLabs.example.co.uk",
    ),
    (
        "Kräuter & Söhne GmbH",
        "EUR",
        "kraeuter.example.de",
        "Krauter & Sohne GmbH",
        "rechnung@kraeuter.example.de",
    ),
    (
        "Harbor View Hotels",
        "USD",
        "harborview.example.com",
        "Harbour View Hotels",
        "ap@harborview.example.com",
    ),
    (
        "Orchid Health",
        "USD",
        "orchid.example.com",
        "Orchid Health Inc",
        "finance@orchidhealth.example.com",
    ),
    ("Copperleaf Energy", "USD", "copperleaf.example.com", None, None),
    ("Drummond & Vale", "GBP", "drummondvale.example.co.uk", None, None),
    ("Evergreen Outfitters", "USD", "evergreen.example.com", None, None),
    ("Fjord Analytics AS", "EUR", "fjord.example.no", None, None),
    ("Granite Peak Capital", "USD", "granitepeak.example.com", None, None),
    ("Helios Mobility", "EUR", "helios.example.fr", None, None),
    ("Ironwood Furniture", "USD", "ironwood.example.com", None, None),
    ("Juniper Schools Trust", "GBP", "juniper.example.org.uk", None, None),
    ("Kestrel Aerospace", "USD", "kestrel.example.com", None, None),
    ("Lighthouse Legal LLP", "GBP", "lighthouselegal.example.co.uk", None, None),
    ("Meridian Foods", "USD", "meridian.example.com", None, None),
    ("Nimbus Cloudworks", "USD", "nimbus.example.com", None, None),
    ("Oakridge Pharmacy", "USD", "oakridge.example.com", None, None),
    ("Pinecone Games", "EUR", "pinecone.example.nl", None, None),
    ("Quartz Insurance", "USD", "quartz.example.com", None, None),
    ("Redwood Realty", "USD", "redwood.example.com", None, None),
    ("Saffron Kitchens", "GBP", "saffron.example.co.uk", None, None),
    ("Tidewater Logistics", "USD", "tidewater.example.com", None, None),
    ("Umbra Fashion House", "EUR", "umbra.example.it", None, None),
    ("Vantage Biotech", "USD", "vantagebio.example.com", None, None),
    ("Willow Creek Winery", "USD", "willowcreek.example.com", None, None),
    ("Xenon Robotics", "EUR", "xenon.example.de", None, None),
    ("Yellowstone Outdoor", "USD", "yellowstone.example.com", None, None),
    ("Zephyr Airlines", "GBP", "zephyr.example.co.uk", None, None),
    ("Atlas Civic Partners", "USD", "atlascivic.example.org", None, None),
    ("Brightwater Charity", "GBP", "brightwater.example.org.uk", None, None),
    ("Cobalt Security", "USD", "cobalt.example.com", None, None),
    ("Delta Dental Group", "USD", "deltadental.example.com", None, None),
    ("Elm Street Bakery", "USD", "elmstreet.example.com", None, None),
    ("Falcon Media", "EUR", "falconmedia.example.es", None, None),
    ("Golden Gate Fitness", "USD", "goldengate.example.com", None, None),
    ("Horizon University", "USD", "horizon.example.edu", None, None),
    ("Indigo Travel", "USD", "indigotravel.example.com", None, None),
    ("Jasper Architects", "EUR", "jasper.example.be", None, None),
]

CONTACT_NAMES = [
    ("Maria", "Lopez"),
    ("James", "Carter"),
    ("Aisha", "Khan"),
    ("Lukas", "Weber"),
    ("Sofia", "Rossi"),
    ("Noah", "Kim"),
    ("Emma", "Johansson"),
    ("Ravi", "Patel"),
    ("Grace", "O'Neil"),
    ("Daniel", "Cohen"),
    ("Yara", "Haddad"),
    ("Felix", "Brandt"),
]

PROJECT_KINDS = [
    ("Website Redesign", "WEB"),
    ("Mobile App", "APP"),
    ("Brand Refresh", "BRD"),
    ("Data Platform", "DAT"),
    ("Support Retainer", "SUP"),
    ("Marketing Campaign", "MKT"),
    ("E-commerce Build", "ECM"),
    ("Discovery Sprint", "DSC"),
]

NOTES = [
    "Sprint planning",
    "Wireframes review",
    "API integration",
    "Bug fixes",
    "Client workshop",
    "Code review",
    "Copy edits",
    "Deployment",
    "Design QA",
    "Analytics setup",
    "Stand-up",
    "Performance tuning",
    "Content migration",
    "Accessibility audit",
    "Status report",
]

# Tax by currency: (tax %, tax2 %), as an agency would configure per client region.
TAXES = {"USD": ("8.875", None), "EUR": ("19", None), "GBP": ("20", None)}
