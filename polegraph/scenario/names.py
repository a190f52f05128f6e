"""Name pools of the synthetic population, weighted so that common names are really common.

Weights make Mohammed, Khan, John and Smith frequent enough that many *different* people share
them: a linker that links on names alone will be wrong. The pools are drawn from the same
communities for bystanders and for the planted network, so that a name says nothing about who
is an offender. Each background also carries the census (self-defined) ethnicity codes and the
officer-defined IC codes its members are usually recorded under.
"""

from __future__ import annotations

from dataclasses import dataclass

from polegraph.scenario.rand import Weighted


def _pool(text: str) -> Weighted[str]:
    """``"Mohammed:12 Imran Adil"``: Mohammed weighs 12, Imran and Adil 1 each."""
    items: list[tuple[str, float]] = []
    for word in text.split():
        name, _, weight = word.partition(":")
        items.append((name.replace("_", " "), float(weight or 1)))
    return Weighted(items)


@dataclass(frozen=True, slots=True)
class Background:
    """A community's names and the ethnicity codes its members are recorded under."""

    key: str
    weight: float
    male: Weighted[str]
    female: Weighted[str]
    surnames: Weighted[str]
    self_defined: tuple[str, ...]
    officer_defined: str
    # Surnames by sex where the language inflects them (Kowalski / Kowalska).
    feminine: tuple[tuple[str, str], ...] = ()


BACKGROUNDS: tuple[Background, ...] = (
    Background(
        "white_british",
        0.55,
        _pool(
            "John:6 James:3 David:3 Michael:3 Daniel:2 Thomas:2 William:2 Robert:2 Richard Christopher:2 "
            "Paul:2 Mark:2 Andrew:2 Stephen Matthew Anthony Kieran Connor Ryan Liam Jordan Jack:2 Lewis "
            "Kyle Dean Lee Craig Gary Darren Wayne Shane Callum Reece Joshua Nathan Samuel Benjamin "
            "Alexander Jamie Scott Peter Sean"
        ),
        _pool(
            "Sarah:2 Emma:2 Laura Rebecca Jessica Chloe:2 Megan Hannah Amy Lauren Charlotte Sophie Emily "
            "Katherine Elizabeth Victoria Samantha Nicola Kelly Stacey Leanne Kayleigh Jade Courtney "
            "Shannon Paige Ellie Holly Abigail Danielle Natalie Zoe Michelle Tracey Amber Caitlin "
            "Georgia Lucy Molly"
        ),
        _pool(
            "Smith:12 Jones:5 Williams:4 Taylor:4 Brown:4 Davies:3 Evans:2 Wilson:3 Thomas:2 Johnson:2 "
            "Roberts:2 Walker:2 Wright:2 Robinson:2 Thompson:2 White:2 Hughes:2 Edwards Green:2 Hall:2 "
            "Wood Harris Lewis Martin Jackson Clarke Turner Hill Scott Cooper Morris Ward Moore King "
            "Watson Baker Harrison Morgan Kelly Murphy O'Neill McDonald Gallagher Doherty Shepherd "
            "Nicholson Barker Holt Ashworth Greenwood Crossley Sutcliffe"
        ),
        ("W1", "W1", "W1", "W2", "W9"),
        "IC1",
    ),
    Background(
        "south_asian_muslim",
        0.18,
        _pool(
            "Mohammed:14 Muhammad:3 Imran:3 Adil Asif:2 Tariq:2 Zubair Bilal Hamza Usman:2 Kamran Nadeem "
            "Shahid Waqas Sajid Zain Ibrahim Yusuf Ali:2 Hassan Hussain Amir Faisal Irfan Rizwan Junaid "
            "Naveed Arif Jamil Abdul:2 Shoaib Sohail"
        ),
        _pool(
            "Fatima:3 Aisha:2 Ayesha Zainab Maryam Amina Noor Yasmin:2 Samina Nadia Saima Rukhsana Parveen "
            "Nasreen Shazia Salma Hina Sana Iqra Khadija Halima Asma Tahira Rubina Sadia"
        ),
        _pool(
            "Khan:12 Ahmed:5 Ali:5 Hussain:5 Akhtar:2 Rahman:2 Iqbal:2 Mahmood:2 Shah:2 Chaudhry:2 "
            "Qureshi Siddiqui Malik:2 Mirza Butt Raja Rashid Anwar Aziz Saeed Bashir Javed Hanif Sheikh "
            "Uddin Miah Islam"
        ),
        ("A2", "A2", "A3", "A9"),
        "IC4",
    ),
    Background(
        "sikh_hindu",
        0.04,
        _pool(
            "Gurpreet Harpreet Jaspreet Manpreet Rajinder Surinder Jaswinder Sandeep Deepak Vijay Sanjay "
            "Anil Sunil Ravi Amit Rakesh"
        ),
        _pool("Gurpreet Harpreet Manpreet Jaspreet Kuldip Priya Lakshmi Anjali Sunita Neha Pooja"),
        _pool("Singh:10 Patel:6 Sharma:2 Kumar:2 Gill:2 Sandhu Sidhu Dhillon Grewal Mistry Shah"),
        ("A1", "A1", "A9"),
        "IC4",
        (("Singh", "Kaur"),),
    ),
    Background(
        "eastern_european",
        0.10,
        _pool(
            "Piotr:2 Tomasz:2 Krzysztof Pawel Michal Marcin Lukasz Jakub Mateusz Andrzej Wojciech Dariusz "
            "Mariusz Sergei Dmitri Andrei:2 Vasile Ionut Constantin Florin"
        ),
        _pool(
            "Katarzyna:2 Agnieszka Magdalena Anna:2 Malgorzata Joanna Natalia Weronika Olena Elena Maria "
            "Ioana Andreea"
        ),
        _pool(
            "Kowalski:3 Nowak:3 Wisniewski Wojcik Kaminski Lewandowski Zielinski Popescu:2 Ionescu Popa "
            "Stan Dumitru Ivanov Petrov Kovalenko"
        ),
        ("W9", "W9", "W9"),
        "IC2",
        (
            ("Kowalski", "Kowalska"),
            ("Wisniewski", "Wisniewska"),
            ("Kaminski", "Kaminska"),
            ("Lewandowski", "Lewandowska"),
            ("Zielinski", "Zielinska"),
            ("Ivanov", "Ivanova"),
            ("Petrov", "Petrova"),
        ),
    ),
    Background(
        "black_african_caribbean",
        0.09,
        _pool(
            "Oluwaseun Adebayo Chukwuemeka Kwame Emmanuel:2 Samuel Daniel Tyrone Jermaine Marcus Leon Kofi "
            "Abdi:2 Abdirahman Mohamed:3 Yusuf"
        ),
        _pool(
            "Abimbola Oluwakemi Chioma Grace:2 Blessing Precious Shanice Tanisha Aaliyah Hodan Fadumo Amina "
            "Ifrah"
        ),
        _pool(
            "Okafor Adeyemi Okonkwo Mensah Asante Campbell:2 Williams:2 Brown:2 Johnson Grant Francis "
            "Mohamed:3 Abdi:2 Hassan Ali Farah Osman Ahmed Omar"
        ),
        ("B1", "B2", "B2", "B9", "M1"),
        "IC3",
    ),
    Background(
        "east_asian",
        0.04,
        _pool("Wei Jun Hao Minh Tuan Duc Kenji Hiroshi"),
        _pool("Mei Ling Yan Lan Thi Hoa Yuki"),
        _pool("Nguyen:4 Tran:2 Le Pham Chen:2 Wang Li:2 Zhang Liu Wong"),
        ("A4", "A9"),
        "IC5",
    ),
)

BY_WEIGHT = Weighted([(b, b.weight) for b in BACKGROUNDS])

# Street names offenders go by, and the names victims save offenders under in their phones.
STREET_NAMES = (
    "Bash",
    "Kaz",
    "Tiny",
    "Rocky",
    "Ace",
    "Dee",
    "Jay",
    "Nas",
    "Zee",
    "Bigz",
    "Smithy",
    "Chops",
    "Shady",
    "Romeo",
    "Deano",
    "Moz",
)
SAVED_AS_DECORATION = ("", " 😘", " ❤️", " x", " mate", " 🔥", "!!", " new")


def feminine_surname(background: Background, surname: str) -> str:
    """The form of ``surname`` a woman or girl of ``background`` is recorded under."""
    return dict(background.feminine).get(surname, surname)
