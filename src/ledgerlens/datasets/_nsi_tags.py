"""How name-suggestion-index (NSI) tags map to the level-2 taxonomy, and what is dropped.

Facts curated for ledgerlens: which OSM ``key=value`` tag holds merchants of which
subcategory, which tags hold no merchant a card holder pays, the few NSI brands that do not
fit their tag, and the tags whose brands have a more specific MCC than their subcategory.
``_brands.build_brand_table`` applies them; ``docs/taxonomy.md`` summarises them.
"""

from __future__ import annotations

__all__ = [
    "DROPPED_OSM_TAGS",
    "NSI_ID_OVERRIDES",
    "NSI_LABEL_SPELLINGS",
    "NSI_NAME_OVERRIDES",
    "ORGANIC_FROM",
    "OSM_TAG_MCC",
    "OSM_TAG_SUBCATEGORY",
    "TAGS_BY_SUBCATEGORY",
]

#: Level-2 subcategory -> the NSI tags whose brands belong to it.
TAGS_BY_SUBCATEGORY: dict[str, tuple[str, ...]] = {
    "salary": ("office=employment_agency",),  # temp agencies pay wages; nobody pays them
    "rent": ("office=estate_agent",),
    "diy_home_improvement": (
        "shop=doityourself", "shop=hardware", "shop=paint", "shop=trade", "shop=tiles",
        "shop=flooring", "shop=doors", "shop=bathroom_furnishing", "shop=electrical",
        "shop=power_tools", "shop=tool_hire", "shop=plant_hire", "shop=rental",
        "craft=window_construction",
    ),
    "garden": (
        "shop=garden_centre", "shop=groundskeeping", "shop=agrarian", "shop=country_store",
        "shop=swimming_pool", "shop=bbq",
    ),
    "furniture_home_equipment": (
        "shop=furniture", "shop=bed", "shop=kitchen", "shop=houseware",
        "shop=interior_decoration", "shop=household_linen", "shop=lighting", "shop=carpet",
        "shop=curtain", "shop=window_blind", "shop=appliance", "shop=vacuum_cleaner",
    ),
    "home_services": (
        "craft=electrician", "craft=plumber", "craft=glaziery", "shop=glaziery",
        "craft=carpenter", "craft=painter", "shop=locksmith", "shop=pest_control",
        "shop=storage_rental", "office=moving_company",
    ),
    "gas_heating": ("shop=gas",),
    "mobile_phone": ("shop=telecommunication", "office=telecommunication"),
    "supermarket": ("shop=supermarket", "shop=wholesale"),
    "convenience_store": ("shop=convenience", "shop=general"),
    "bakery": ("shop=bakery", "shop=pastry"),
    "butcher_fishmonger": ("shop=butcher", "shop=seafood", "shop=deli"),
    "market_greengrocer": ("shop=greengrocer",),
    "specialty_food": (
        "shop=alcohol", "shop=beverages", "shop=wine", "shop=cheese", "shop=chocolate",
        "shop=confectionery", "shop=coffee", "shop=tea", "shop=dairy", "shop=nuts",
        "shop=spices", "shop=health_food", "shop=frozen_food", "shop=herbalist",
        "shop=nutrition_supplements",
    ),
    "restaurant": ("amenity=restaurant",),
    "fast_food": ("amenity=fast_food", "amenity=ice_cream"),
    "cafe_bar": ("amenity=cafe", "amenity=bar", "amenity=pub", "amenity=internet_cafe"),
    "clothing_shoes": (
        "shop=clothes", "shop=shoes", "shop=bag", "shop=leather", "shop=fashion_accessories",
    ),
    "electronics": (
        "shop=electronics", "shop=computer", "shop=mobile_phone", "shop=mobile_phone_accessories",
        "shop=hifi", "shop=camera", "shop=photo", "shop=printer_ink",
    ),
    "department_store": ("shop=department_store",),
    "general_merchandise": ("shop=variety_store", "shop=catalogue", "shop=erotic"),
    "marketplace": ("shop=outpost",),
    "books_media": ("shop=books", "shop=stationery", "shop=music", "shop=video"),
    "gifts_flowers": ("shop=gift", "shop=florist", "shop=party", "shop=candles"),
    "tobacco_press": (
        "shop=tobacco", "shop=newsagent", "shop=kiosk", "shop=e-cigarette", "shop=cannabis",
    ),
    "pets": ("shop=pet", "amenity=veterinary", "amenity=animal_boarding"),
    "jewellery_watches": ("shop=jewelry", "shop=watches", "shop=gold_buyer"),
    "second_hand": ("shop=second_hand", "shop=charity", "shop=pawnbroker"),
    "fuel": ("amenity=fuel", "waterway=fuel", "highway=services"),
    "ev_charging": ("amenity=charging_station", "man_made=charge_point"),
    "bike_scooter_sharing": ("amenity=bicycle_rental",),
    "parking": ("amenity=parking",),
    # A car maker's dealer (shop=car) is paid by card for servicing and parts; a car bought
    # there goes by transfer or a loan, whose words say so (ACHAT VEHICULE, ACOMPTE).
    "vehicle_maintenance": (
        "shop=car", "shop=car_repair", "shop=car_parts", "shop=tyres", "shop=motorcycle_repair",
        "shop=truck_repair", "shop=tractor_repair", "amenity=car_wash",
        "amenity=vehicle_inspection",
    ),
    "vehicle_purchase_rental": (
        "shop=motorcycle", "shop=truck", "shop=tractor", "shop=caravan",
        "shop=boat", "amenity=car_rental", "amenity=motorcycle_rental", "amenity=car_sharing",
    ),
    "hotels": ("tourism=hotel", "tourism=motel", "tourism=hostel"),
    "holiday_rentals": ("tourism=caravan_site",),
    "travel_agencies": ("shop=travel_agency",),
    "pharmacy": ("amenity=pharmacy", "shop=medical_supply"),
    "doctor": ("amenity=doctors",),
    "dentist": ("amenity=dentist",),
    "hospital_clinic": (
        "amenity=clinic", "amenity=hospital", "healthcare=dialysis", "healthcare=rehabilitation",
    ),
    "optician": ("shop=optician", "shop=hearing_aids", "healthcare=audiologist"),
    "laboratory": ("healthcare=laboratory", "healthcare=sample_collection"),
    "paramedical": (
        "healthcare=physiotherapist", "healthcare=alternative", "healthcare=counselling",
    ),
    "hairdresser": ("shop=hairdresser",),
    "beauty_salon": ("shop=beauty", "shop=tattoo"),
    "cosmetics_perfume": (
        "shop=cosmetics", "shop=perfumery", "shop=chemist", "shop=hairdresser_supply",
    ),
    "spa_wellness": ("leisure=sauna", "shop=massage"),
    "cinema": ("amenity=cinema",),
    "concerts_shows": ("shop=ticket",),
    "museums_culture": (
        "tourism=theme_park", "leisure=escape_game", "leisure=bowling_alley",
        "leisure=miniature_golf", "leisure=trampoline_park", "leisure=high_ropes_course",
    ),
    "sport_clubs_gyms": ("leisure=fitness_centre", "leisure=sports_centre", "leisure=dance"),
    "sport_equipment": ("shop=sports", "shop=outdoor", "shop=bicycle", "shop=fishing"),
    "video_games": ("shop=video_games", "leisure=amusement_arcade"),
    "hobbies": (
        "shop=craft", "shop=art", "shop=model", "shop=fabric", "shop=musical_instrument",
        "shop=frame", "shop=pottery", "shop=anime", "shop=pyrotechnics", "craft=handicraft",
    ),
    "betting_lottery": (
        "amenity=gambling", "amenity=casino", "shop=lottery", "shop=bookmaker",
        "leisure=adult_gaming_centre",
    ),
    "nightlife": ("amenity=karaoke_box",),
    "school_fees": (
        "amenity=school", "amenity=college", "amenity=university", "amenity=language_school",
        "amenity=driving_school", "amenity=prep_school", "amenity=training",
    ),
    "childcare": ("amenity=childcare", "amenity=kindergarten"),
    "children_activities": ("amenity=music_school", "leisure=indoor_play", "club=scout"),
    "toys": ("shop=toys", "shop=baby_goods", "shop=games"),
    "other_insurance": ("office=insurance",),  # the product (car, home, health) is unknown
    "mortgage": ("office=mortgage",),
    "consumer_loan": ("office=financial", "shop=money_lender"),
    "administrative_fees": ("office=government",),
    "cash_withdrawal": ("amenity=bureau_de_change",),
    "p2p_transfer": ("amenity=money_transfer",),
    "post_courier": ("amenity=post_office", "amenity=post_depot", "amenity=parcel_locker"),
    "professional_services": (
        "office=lawyer", "office=tax_advisor", "office=financial_advisor", "office=coworking",
        "shop=copyshop", "craft=signmaker", "amenity=photo_booth",
    ),
    "home_help": ("craft=cleaning",),
    "charity_donations": (
        "office=association", "office=union", "office=political_party", "amenity=animal_shelter",
        "amenity=social_facility",
    ),
    "laundry_tailoring": (
        "shop=laundry", "shop=dry_cleaning", "shop=tailor", "shop=shoe_repair", "shop=repair",
        "craft=electronics_repair",
    ),
    "funeral_services": ("shop=funeral_directors", "amenity=mortuary"),
}

#: OSM ``key=value`` tag -> level-2 subcategory of the brands NSI lists under it.
OSM_TAG_SUBCATEGORY: dict[str, str] = {
    tag: sub for sub, tags in TAGS_BY_SUBCATEGORY.items() for tag in tags
}

#: NSI tags whose brands are dropped: not a merchant a card holder pays.
#: - banks and cash machines (amenity=bank, amenity=atm): a bank's name in a label does not
#:   tell a fee from a loan or a transfer; banks are curated with their own rules;
#: - street furniture and unattended machines: bicycle_parking, bicycle_repair_station,
#:   recycling, waste_basket, trolley_bay, weighbridge, telephone, vending_machine (NSI lists
#:   the product brand, not the operator), payment_terminal, payment_centre, public_bookcase,
#:   food_sharing, advertising=totem;
#: - free or public places: library, community_centre, social_centre, conference_centre,
#:   leisure=playground, leisure=dog_park, leisure=fitness_station, tourism=information,
#:   healthcare=blood_donation, emergency services, landuse areas, club=freemasonry;
#: - shopping malls (shop=mall): the shops inside are the payees, not the mall;
#: - businesses that sell to businesses: office=company, consulting, it, engineer,
#:   construction_company, logistics, security, insurance_adjuster, bail_bond_agent.
DROPPED_OSM_TAGS: frozenset[str] = frozenset({
    "amenity=bank", "amenity=atm",
    "amenity=bicycle_parking", "amenity=bicycle_repair_station", "amenity=recycling",
    "amenity=waste_basket", "amenity=trolley_bay", "amenity=weighbridge", "amenity=telephone",
    "amenity=vending_machine", "amenity=payment_terminal", "amenity=payment_centre",
    "amenity=public_bookcase", "amenity=food_sharing", "advertising=totem",
    "amenity=library", "amenity=community_centre", "amenity=social_centre",
    "amenity=conference_centre", "leisure=playground", "leisure=dog_park",
    "leisure=fitness_station", "tourism=information", "healthcare=blood_donation",
    "emergency=ambulance_station", "emergency=lifeguard", "emergency=disaster_response",
    "landuse=industrial", "landuse=residential", "club=freemasonry", "shop=mall",
    "office=company", "office=consulting", "office=it", "office=engineer",
    "office=construction_company", "office=logistics", "office=security",
    "office=insurance_adjuster", "office=bail_bond_agent",
})

#: NSI item id -> subcategory where the brand does not fit its tag (None drops it).
NSI_ID_OVERRIDES: dict[str, str | None] = {
    "boutiquegrandeslignes-b7c783": "trains_coaches",  # SNCF main-line ticket office
    "guichettransilien-b7c783": "public_transport",
    "eleclercdrive-7ec344": "supermarket",
    "centredesfinancespubliques-f941ae": "income_tax",
    "tresorpublic-f941ae": "income_tax",
    "francetravail-f941ae": "unemployment_benefits",
    "generaledesservices-16802d": "home_help",  # NSI files them under office=company
    "kangouroukids-1d1994": "childcare",
    "lacompagniedesdeboucheurs-16802d": "home_services",
    "ehpadduch-f6f802": "hospital_clinic",  # a nursing home, not a charity
    "cafpi-1791d3": "mortgage",  # mortgage brokers, filed under office=financial
    "meilleurtaux-1791d3": "mortgage",
    "vousfinancer-1791d3": "mortgage",
    "ymanci-1791d3": "mortgage",
    "morganstanley-433028": None,  # investment bank
    "amazon-2083a7": None,  # Amazon's depots and lockers would shadow the shop
    "amazonhub-f85b1f": None,
    "amazonlocker-f85b1f": None,
    "airliquide-b3d110": None,  # industrial gases
    "airliquide-65a0f8": None,
    "messer-65a0f8": None,
    "conselhotutelar-0bc456": None,  # Brazilian and Spanish public offices marked world-wide
    "ministeriopublico-0bc456": None,
    "totalenergies-5fe041": "fuel",  # the shop of a fuel station, filed as shop=kiosk
    "natureanddecouvertes-fb7405": "gifts_flowers",  # nature gifts and games, not outdoor gear
    "naturalia-c16b1c": "specialty_food",  # an organic chain, like Biocoop (no organic tag)
    "coccinelleexpress-94a8a9": "convenience_store",  # the proximity format of Coccinelle
    "avia-da37e8": "fuel",  # the shop of an Avia station: its labels read AVIA as the pumps'
    "campanile-ee8eff": None,  # a hotel chain's restaurants: labels read CAMPANILE for the stay
    "lasergameevolution-60da35": "hobbies",  # laser tag arenas, filed as amusement arcades
}

#: NSI item id -> the name customers and card terminals know, where the index has moved on
#: to a new one and keeps the known one as ``old_name`` only (the chain's 500 shops still
#: read NICOLAS on a statement).
NSI_NAME_OVERRIDES: dict[str, str] = {
    "maisonnicolas-44f3b7": "Nicolas",
}

#: NSI item id -> spellings bank labels write that the index does not list: the acquirer's
#: short descriptor (``CRF MARKET``) or the name without its generic head (``DEL ARTE``).
NSI_LABEL_SPELLINGS: dict[str, tuple[str, ...]] = {
    "carrefourmarket-9ebf62": ("CRF MARKET", "CARREF MARKET", "CRF MKT"),
    "carrefourcity-744e9a": ("CRF CITY", "CARREF CITY"),
    "carrefourexpress-bd0db4": ("CRF EXPRESS", "CARREF EXPRESS"),
    "carrefourcontact-3219ea": ("CRF CONTACT",),
    "ristorantedelarte-47e37e": ("DEL ARTE",),
    "mcdonalds-e4dee6": ("MCDO",),
    "handm-3937bd": ("HM",),
    # the company that runs the stations, as card labels name it
    "totalenergies-ff2f90": ("TOTAL MARKETING FRANCE", "TOTALENERGIES MARKETING FRANCE",
                             "TOTAL MARKETING", "TOTALENERGIES MARKETING",
                             "TOTAL ENERGIES MARKETING FRANCE"),
}

#: Grocery subcategories that an organic-only brand (``organic=only``) leaves for the
#: taxonomy's "specialised food, wine and organic shops".
ORGANIC_FROM = frozenset({"supermarket", "convenience_store"})

#: MCC -> tags whose brands have a more specific code than their subcategory's typical one.
_MCC_BY_TAGS: dict[str, tuple[str, ...]] = {
    "0742": ("amenity=veterinary",),
    "1731": ("craft=electrician",),
    "4214": ("office=moving_company",),
    "4215": ("amenity=parcel_locker", "amenity=post_depot"),
    "4225": ("shop=storage_rental",),
    "4812": ("shop=mobile_phone",),
    "5047": ("shop=medical_supply",),
    "5211": ("shop=trade",),
    "5231": ("shop=paint",),
    "5251": ("shop=hardware",),
    "5300": ("shop=wholesale",),
    "5331": ("shop=variety_store",),
    "5441": ("shop=confectionery", "shop=chocolate", "shop=nuts"),
    "5451": ("shop=dairy",),
    "5532": ("shop=tyres",),
    "5533": ("shop=car_parts",),
    "5551": ("shop=boat",),
    "5561": ("shop=caravan",),
    "5571": ("shop=motorcycle",),
    "5661": ("shop=shoes",),
    "5697": ("shop=tailor",),
    "5713": ("shop=flooring", "shop=carpet"),
    "5714": ("shop=curtain", "shop=window_blind"),
    "5719": ("shop=household_linen", "shop=interior_decoration"),
    "5722": ("shop=appliance", "shop=vacuum_cleaner"),
    "5733": ("shop=musical_instrument",),
    "5735": ("shop=music",),
    "5921": ("shop=alcohol", "shop=wine", "shop=beverages"),
    "5931": ("shop=charity",),
    "5933": ("shop=pawnbroker",),
    "5940": ("shop=bicycle",),
    "5943": ("shop=stationery",),
    "5946": ("shop=camera", "shop=photo"),
    "5948": ("shop=bag", "shop=leather"),
    "5949": ("shop=fabric",),
    "5971": ("shop=art",),
    "5975": ("shop=hearing_aids", "healthcare=audiologist"),
    "5983": ("shop=gas",),
    "5992": ("shop=florist",),
    "5994": ("shop=newsagent", "shop=kiosk"),
    "5996": ("shop=swimming_pool",),
    "6051": ("amenity=bureau_de_change",),
    "7211": ("shop=laundry",),
    "7216": ("shop=dry_cleaning",),
    "7221": ("amenity=photo_booth",),
    "7251": ("shop=shoe_repair",),
    "7276": ("office=tax_advisor",),
    "7297": ("shop=massage",),
    "7338": ("shop=copyshop",),
    "7342": ("shop=pest_control",),
    "7394": ("shop=tool_hire", "shop=plant_hire", "shop=rental"),
    "7512": ("amenity=car_rental", "amenity=motorcycle_rental", "amenity=car_sharing"),
    "7542": ("amenity=car_wash",),
    "7622": ("craft=electronics_repair",),
    "7699": ("shop=locksmith",),
    "7911": ("leisure=dance",),
    "7933": ("leisure=bowling_alley",),
    "7994": ("leisure=amusement_arcade",),
    "7996": ("tourism=theme_park",),
    "8111": ("office=lawyer",),
    "8211": ("amenity=school",),
    "8220": ("amenity=university", "amenity=college"),
    "8299": ("amenity=music_school",),
}

#: OSM tag -> MCC, where it differs from ``typical_mcc`` of the tag's subcategory.
OSM_TAG_MCC: dict[str, str] = {tag: mcc for mcc, tags in _MCC_BY_TAGS.items() for tag in tags}
