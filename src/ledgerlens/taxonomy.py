"""The two-level category taxonomy: fixed level-1 ids (DESIGN.md) and the project's level 2.

Every component that writes or reads a category (the synthetic bank, enrichment,
budgeting, insights) takes its ids from here, so that there is one place to change them.

>>> SUBCATEGORIES["bakery"].category
'groceries'
>>> "groceries" in CATEGORIES
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "PLAID_PRIMARY",
    "SUBCATEGORIES",
    "Subcategory",
    "category_of",
    "subcategories_of",
]

CATEGORIES: tuple[str, ...] = (
    "income",
    "transfers",
    "savings_investments",
    "housing",
    "utilities",
    "groceries",
    "food_and_drink",
    "shopping",
    "transport",
    "travel",
    "health",
    "personal_care",
    "leisure",
    "education_family",
    "insurance",
    "bank_fees",
    "loans",
    "taxes",
    "cash",
    "services",
    "other",
)

PLAID_PRIMARY: tuple[str, ...] = (
    "INCOME",
    "TRANSFER_IN",
    "TRANSFER_OUT",
    "LOAN_PAYMENTS",
    "BANK_FEES",
    "ENTERTAINMENT",
    "FOOD_AND_DRINK",
    "GENERAL_MERCHANDISE",
    "HOME_IMPROVEMENT",
    "MEDICAL",
    "PERSONAL_CARE",
    "GENERAL_SERVICES",
    "GOVERNMENT_AND_NON_PROFIT",
    "TRANSPORTATION",
    "TRAVEL",
    "RENT_AND_UTILITIES",
    "OTHER",
)


@dataclass(frozen=True, slots=True)
class Subcategory:
    """A level-2 category: its id, its level-1 parent, names and the Plaid primary it maps to."""

    id: str
    category: str
    name_en: str
    name_fr: str
    plaid_primary: str


def _s(id_: str, category: str, en: str, fr: str, plaid: str) -> Subcategory:
    return Subcategory(id_, category, en, fr, plaid)


_ROWS: tuple[Subcategory, ...] = (
    # income
    _s("salary", "income", "Salary and wages", "Salaire", "INCOME"),
    _s("pension", "income", "Pensions", "Retraite", "INCOME"),
    _s("unemployment_benefits", "income", "Unemployment benefits", "Allocations chômage", "INCOME"),
    _s("family_benefits", "income", "Family and social benefits", "Prestations sociales et familiales", "INCOME"),
    _s("rental_income", "income", "Rental income", "Revenus locatifs", "INCOME"),
    _s("interest_dividends", "income", "Interest and dividends", "Intérêts et dividendes", "INCOME"),
    _s("other_income", "income", "Other earnings", "Autres revenus", "INCOME"),
    # transfers
    _s("own_account_transfer", "transfers", "Between own accounts", "Virement interne", "TRANSFER_OUT"),
    _s("p2p_transfer", "transfers", "To and from people", "Virement entre particuliers", "TRANSFER_OUT"),
    _s("deferred_card_total", "transfers", "Deferred card statement", "Relevé carte à débit différé", "TRANSFER_OUT"),
    # savings_investments
    _s("savings_transfer", "savings_investments", "Savings", "Épargne", "TRANSFER_OUT"),
    _s("life_insurance", "savings_investments", "Life-insurance contributions", "Assurance-vie", "TRANSFER_OUT"),
    _s("securities", "savings_investments", "Securities", "Bourse et titres", "TRANSFER_OUT"),
    _s("crypto", "savings_investments", "Crypto-assets", "Crypto-actifs", "TRANSFER_OUT"),
    # housing
    _s("rent", "housing", "Rent", "Loyer", "RENT_AND_UTILITIES"),
    _s("building_charges", "housing", "Building charges", "Charges de copropriété", "RENT_AND_UTILITIES"),
    _s("diy_home_improvement", "housing", "DIY and home improvement", "Bricolage et travaux", "HOME_IMPROVEMENT"),
    _s("garden", "housing", "Garden", "Jardinage", "HOME_IMPROVEMENT"),
    _s("furniture_home_equipment", "housing", "Furniture and home equipment", "Ameublement et équipement de la maison", "HOME_IMPROVEMENT"),
    _s("home_services", "housing", "Home services and repairs", "Services à domicile et dépannage", "HOME_IMPROVEMENT"),
    # utilities
    _s("electricity", "utilities", "Electricity", "Électricité", "RENT_AND_UTILITIES"),
    _s("gas_heating", "utilities", "Gas and heating", "Gaz et chauffage", "RENT_AND_UTILITIES"),
    _s("water", "utilities", "Water", "Eau", "RENT_AND_UTILITIES"),
    _s("internet_tv", "utilities", "Internet, TV and landline", "Internet, TV et téléphone fixe", "RENT_AND_UTILITIES"),
    _s("mobile_phone", "utilities", "Mobile phone", "Téléphone mobile", "RENT_AND_UTILITIES"),
    # groceries
    _s("supermarket", "groceries", "Supermarkets and hypermarkets", "Supermarchés et hypermarchés", "FOOD_AND_DRINK"),
    _s("convenience_store", "groceries", "Convenience stores", "Supérettes et épiceries de proximité", "FOOD_AND_DRINK"),
    _s("bakery", "groceries", "Bakeries and pastry shops", "Boulangeries et pâtisseries", "FOOD_AND_DRINK"),
    _s("butcher_fishmonger", "groceries", "Butchers, delis and fishmongers", "Boucheries, charcuteries et poissonneries", "FOOD_AND_DRINK"),
    _s("market_greengrocer", "groceries", "Markets and greengrocers", "Marchés et primeurs", "FOOD_AND_DRINK"),
    _s("specialty_food", "groceries", "Specialised food, wine and organic shops", "Épiceries fines, cavistes et bio", "FOOD_AND_DRINK"),
    # food_and_drink
    _s("restaurant", "food_and_drink", "Restaurants", "Restaurants", "FOOD_AND_DRINK"),
    _s("fast_food", "food_and_drink", "Fast food", "Restauration rapide", "FOOD_AND_DRINK"),
    _s("cafe_bar", "food_and_drink", "Cafés and bars", "Cafés et bars", "FOOD_AND_DRINK"),
    _s("food_delivery", "food_and_drink", "Food delivery", "Livraison de repas", "FOOD_AND_DRINK"),
    _s("canteen", "food_and_drink", "Canteens and meal vouchers", "Cantines et restaurants d'entreprise", "FOOD_AND_DRINK"),
    # shopping
    _s("clothing_shoes", "shopping", "Clothing, shoes and accessories", "Vêtements, chaussures et accessoires", "GENERAL_MERCHANDISE"),
    _s("electronics", "shopping", "Electronics and computers", "Électronique et informatique", "GENERAL_MERCHANDISE"),
    _s("department_store", "shopping", "Department stores", "Grands magasins", "GENERAL_MERCHANDISE"),
    _s("general_merchandise", "shopping", "Discount and variety stores", "Bazars et magasins discount", "GENERAL_MERCHANDISE"),
    _s("marketplace", "shopping", "Online marketplaces", "Places de marché en ligne", "GENERAL_MERCHANDISE"),
    _s("books_media", "shopping", "Books, music and video", "Livres, musique et vidéo", "GENERAL_MERCHANDISE"),
    _s("gifts_flowers", "shopping", "Gifts and florists", "Cadeaux et fleuristes", "GENERAL_MERCHANDISE"),
    _s("tobacco_press", "shopping", "Tobacco and press", "Tabac et presse", "GENERAL_MERCHANDISE"),
    _s("pets", "shopping", "Pets and veterinary", "Animaux et vétérinaire", "GENERAL_MERCHANDISE"),
    _s("jewellery_watches", "shopping", "Jewellery and watches", "Bijouterie et horlogerie", "GENERAL_MERCHANDISE"),
    _s("second_hand", "shopping", "Second-hand and resale", "Seconde main et dépôt-vente", "GENERAL_MERCHANDISE"),
    # transport
    _s("fuel", "transport", "Fuel", "Carburant", "TRANSPORTATION"),
    _s("ev_charging", "transport", "Electric vehicle charging", "Recharge de véhicule électrique", "TRANSPORTATION"),
    _s("public_transport", "transport", "Public transport", "Transports en commun", "TRANSPORTATION"),
    _s("taxi_ride_hailing", "transport", "Taxis and ride hailing", "Taxis et VTC", "TRANSPORTATION"),
    _s("bike_scooter_sharing", "transport", "Bike and scooter sharing", "Vélos et trottinettes en libre-service", "TRANSPORTATION"),
    _s("parking", "transport", "Parking", "Stationnement", "TRANSPORTATION"),
    _s("tolls", "transport", "Tolls", "Péages", "TRANSPORTATION"),
    _s("vehicle_maintenance", "transport", "Vehicle maintenance and parts", "Entretien et pièces auto", "TRANSPORTATION"),
    _s("vehicle_purchase_rental", "transport", "Vehicle purchase and rental", "Achat et location de véhicules", "TRANSPORTATION"),
    # travel
    _s("flights", "travel", "Flights", "Billets d'avion", "TRAVEL"),
    _s("trains_coaches", "travel", "Long-distance trains and coaches", "Trains et cars longue distance", "TRAVEL"),
    _s("hotels", "travel", "Hotels", "Hôtels", "TRAVEL"),
    _s("holiday_rentals", "travel", "Holiday rentals and campsites", "Locations de vacances et campings", "TRAVEL"),
    _s("travel_agencies", "travel", "Travel agencies and tour operators", "Agences de voyage", "TRAVEL"),
    # health
    _s("pharmacy", "health", "Pharmacies", "Pharmacies", "MEDICAL"),
    _s("doctor", "health", "Doctors and specialists", "Médecins et spécialistes", "MEDICAL"),
    _s("dentist", "health", "Dentists", "Dentistes", "MEDICAL"),
    _s("hospital_clinic", "health", "Hospitals and clinics", "Hôpitaux et cliniques", "MEDICAL"),
    _s("optician", "health", "Opticians and hearing aids", "Opticiens et audioprothésistes", "MEDICAL"),
    _s("laboratory", "health", "Laboratories and imaging", "Laboratoires et radiologie", "MEDICAL"),
    _s("paramedical", "health", "Physiotherapists, nurses and paramedical care", "Kinés, infirmiers et paramédical", "MEDICAL"),
    _s("health_reimbursement", "health", "Health reimbursements", "Remboursements de santé", "INCOME"),
    # personal_care
    _s("hairdresser", "personal_care", "Hairdressers and barbers", "Coiffeurs et barbiers", "PERSONAL_CARE"),
    _s("beauty_salon", "personal_care", "Beauty salons and nails", "Instituts de beauté et onglerie", "PERSONAL_CARE"),
    _s("cosmetics_perfume", "personal_care", "Cosmetics and perfume", "Cosmétiques et parfumerie", "PERSONAL_CARE"),
    _s("spa_wellness", "personal_care", "Spas and wellness", "Spas et bien-être", "PERSONAL_CARE"),
    # leisure
    _s("cinema", "leisure", "Cinema", "Cinéma", "ENTERTAINMENT"),
    _s("concerts_shows", "leisure", "Concerts, theatre and shows", "Concerts, théâtre et spectacles", "ENTERTAINMENT"),
    _s("museums_culture", "leisure", "Museums and attractions", "Musées, monuments et parcs de loisirs", "ENTERTAINMENT"),
    _s("sport_clubs_gyms", "leisure", "Sport clubs and gyms", "Clubs de sport et salles de fitness", "PERSONAL_CARE"),
    _s("sport_equipment", "leisure", "Sport equipment", "Articles de sport", "GENERAL_MERCHANDISE"),
    _s("streaming_digital", "leisure", "Streaming and digital subscriptions", "Streaming et abonnements numériques", "ENTERTAINMENT"),
    _s("video_games", "leisure", "Video games", "Jeux vidéo", "ENTERTAINMENT"),
    _s("hobbies", "leisure", "Hobbies, crafts and music instruments", "Loisirs créatifs et instruments", "GENERAL_MERCHANDISE"),
    _s("betting_lottery", "leisure", "Betting and lottery", "Paris et jeux d'argent", "ENTERTAINMENT"),
    _s("nightlife", "leisure", "Nightclubs and night life", "Boîtes de nuit et sorties", "ENTERTAINMENT"),
    # education_family
    _s("school_fees", "education_family", "School and tuition fees", "Frais de scolarité", "GENERAL_SERVICES"),
    _s("school_canteen", "education_family", "School canteen", "Cantine scolaire", "GENERAL_SERVICES"),
    _s("childcare", "education_family", "Childcare", "Garde d'enfants", "GENERAL_SERVICES"),
    _s("children_activities", "education_family", "Children's activities", "Activités des enfants", "GENERAL_SERVICES"),
    _s("toys", "education_family", "Toys and childcare products", "Jouets et puériculture", "GENERAL_MERCHANDISE"),
    _s("pocket_money", "education_family", "Pocket money", "Argent de poche", "TRANSFER_OUT"),
    _s("child_support", "education_family", "Child support paid", "Pension alimentaire", "TRANSFER_OUT"),
    # insurance
    _s("car_insurance", "insurance", "Car insurance", "Assurance auto", "GENERAL_SERVICES"),
    _s("home_insurance", "insurance", "Home insurance", "Assurance habitation", "GENERAL_SERVICES"),
    _s("health_insurance", "insurance", "Health insurance (mutuelle)", "Mutuelle santé", "GENERAL_SERVICES"),
    _s("life_provident_insurance", "insurance", "Life and provident insurance", "Prévoyance et assurance décès", "GENERAL_SERVICES"),
    _s("other_insurance", "insurance", "Other insurance", "Autres assurances", "GENERAL_SERVICES"),
    # bank_fees
    _s("account_fees", "bank_fees", "Account fees and packages", "Frais de tenue de compte", "BANK_FEES"),
    _s("card_fees", "bank_fees", "Card fees", "Cotisations carte", "BANK_FEES"),
    _s("overdraft_interest", "bank_fees", "Overdraft interest", "Agios", "BANK_FEES"),
    _s("incident_fees", "bank_fees", "Incident fees", "Frais d'incident", "BANK_FEES"),
    _s("foreign_fees", "bank_fees", "Foreign transaction fees", "Frais à l'étranger", "BANK_FEES"),
    # loans
    _s("mortgage", "loans", "Mortgage", "Crédit immobilier", "LOAN_PAYMENTS"),
    _s("consumer_loan", "loans", "Consumer loan", "Crédit à la consommation", "LOAN_PAYMENTS"),
    _s("car_loan", "loans", "Car loan and leasing", "Crédit auto et LOA", "LOAN_PAYMENTS"),
    _s("student_loan", "loans", "Student loan", "Prêt étudiant", "LOAN_PAYMENTS"),
    _s("loan_disbursement", "loans", "Loan disbursement", "Déblocage de prêt", "TRANSFER_IN"),
    # taxes
    _s("income_tax", "taxes", "Income tax", "Impôt sur le revenu", "GOVERNMENT_AND_NON_PROFIT"),
    _s("property_housing_tax", "taxes", "Property and housing taxes", "Taxes foncière et d'habitation", "GOVERNMENT_AND_NON_PROFIT"),
    _s("social_contributions", "taxes", "Social contributions", "Cotisations sociales", "GOVERNMENT_AND_NON_PROFIT"),
    _s("fines", "taxes", "Fines", "Amendes", "GOVERNMENT_AND_NON_PROFIT"),
    _s("administrative_fees", "taxes", "Administrative fees", "Frais administratifs", "GOVERNMENT_AND_NON_PROFIT"),
    # cash
    _s("cash_withdrawal", "cash", "Cash withdrawals", "Retraits d'espèces", "TRANSFER_OUT"),
    _s("cash_deposit", "cash", "Cash deposits", "Dépôts d'espèces", "TRANSFER_IN"),
    # services
    _s("post_courier", "services", "Post and couriers", "Poste et livraison de colis", "GENERAL_SERVICES"),
    _s("professional_services", "services", "Legal, accounting and professional services", "Services juridiques, comptables et professionnels", "GENERAL_SERVICES"),
    _s("home_help", "services", "Home help and cleaning", "Aide à domicile et ménage", "GENERAL_SERVICES"),
    _s("charity_donations", "services", "Charities and donations", "Dons et associations", "GOVERNMENT_AND_NON_PROFIT"),
    _s("laundry_tailoring", "services", "Laundry, dry cleaning, tailoring and repairs", "Pressing, retouches et cordonnerie", "GENERAL_SERVICES"),
    _s("funeral_services", "services", "Funeral services", "Pompes funèbres", "GENERAL_SERVICES"),
    # other
    _s("cheque", "other", "Cheques", "Chèques", "OTHER"),
    _s("uncategorised", "other", "Uncategorised", "Non catégorisé", "OTHER"),
)

SUBCATEGORIES: dict[str, Subcategory] = {row.id: row for row in _ROWS}


def category_of(subcategory: str) -> str:
    """The level-1 id of a level-2 id; raises KeyError naming the unknown id."""
    try:
        return SUBCATEGORIES[subcategory].category
    except KeyError:
        raise KeyError(f"unknown subcategory {subcategory!r}") from None


def subcategories_of(category: str) -> tuple[str, ...]:
    """The level-2 ids under a level-1 id, in taxonomy order."""
    if category not in CATEGORIES:
        raise KeyError(f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
    return tuple(row.id for row in _ROWS if row.category == category)


def _check() -> None:
    if len(SUBCATEGORIES) != len(_ROWS):
        raise ValueError("duplicate subcategory id in the taxonomy")
    for row in _ROWS:
        if row.category not in CATEGORIES or row.plaid_primary not in PLAID_PRIMARY:
            raise ValueError(f"taxonomy row {row.id!r} names an unknown category or Plaid primary")


_check()
