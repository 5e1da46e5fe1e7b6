-- The demo shop behind examples/demo/cartnudge.toml. Carts store how long ago they were last
-- touched, and the config's query turns that into a timestamp relative to the real clock, so the
-- demo always has fresh abandoned carts. Customers sit in time zones around the world, so some are
-- inside their allowed hours whenever you run it. Rebuild shop.db with:
--   python3 -c "import sqlite3;c=sqlite3.connect('shop.db');c.executescript(open('shop.sql').read())"
DROP TABLE IF EXISTS carts;
CREATE TABLE carts (
  id TEXT PRIMARY KEY, customer_id TEXT, first_name TEXT, email TEXT, phone TEXT,
  grand_total TEXT, currency TEXT, items INTEGER, idle_minutes INTEGER,
  sms_opt_in INTEGER, country TEXT, tz TEXT, state TEXT
);
INSERT INTO carts VALUES
 ('d-1001','c-01','Anna','anna@example.ru','8 (912) 345-67-89','5400','RUB',3,180,1,'RU','Europe/Moscow','active'),
 ('d-1002','c-02','Boris','boris@example.ru','+7 913 555-12-34','4200','RUB',1,120,1,'RU','Asia/Novosibirsk','active'),
 ('d-1003','c-03','Claire','claire@example.fr','06 12 34 56 78','95','EUR',2,90,1,'FR','Europe/Paris','active'),
 ('d-1004','c-04','Dan','dan@example.com','(415) 555-2671','120','USD',4,240,1,'US','America/Los_Angeles','active'),
 ('d-1005','c-05','Emma','emma@example.com','+1 201 555 0123','75','USD',1,300,1,'US','America/New_York','active'),
 ('d-1006','c-06','Ivan','ivan@example.ru','+79241234567','8000','RUB',5,200,1,'RU','Asia/Vladivostok','active'),
 ('d-1007','c-07','Leilani','lei@example.com','+1 808 555 0199','99','USD',2,150,1,'US','Pacific/Honolulu','active'),
 ('d-1008','c-08','Omar','omar@example.ae','+971 50 123 4567','70','EUR',1,100,1,'AE','Asia/Dubai','active'),
 ('d-1009','c-09','Мария','maria@example.ru','+7 916 123-45-67','3600','RUB',2,400,1,'RU','Europe/Kaliningrad','active'),
 ('d-2001','c-10','Nina','nina@example.ru','+79161112233','9000','RUB',2,180,0,'RU','Europe/Moscow','active'),
 ('d-2002','c-11','Oleg','oleg@example.ru','+79162223344','1500','RUB',1,180,1,'RU','Europe/Moscow','active'),
 ('d-2003','c-12','Pavel','pavel@example.ru','12345','6000','RUB',1,180,1,'RU','Europe/Moscow','active'),
 ('d-2004','c-13','Rita','rita@example.ru','+79163334455','7000','RUB',1,20,1,'RU','Europe/Moscow','active'),
 ('d-2005','c-14','Sergey','sergey@example.ru','+79164445566','7000','RUB',1,4000,1,'RU','Europe/Moscow','active'),
 ('d-2006','c-15','Tanya','tanya@example.ru','+79165556677','7000','RUB',1,180,1,'RU','Europe/Moscow','ordered'),
 ('d-2007','c-01','Anna','anna@example.ru','+79123456789','3100','RUB',1,170,1,'RU','Europe/Moscow','active'),
 ('d-2008','c-16','Zoe','zoe@example.com','+14155550142','65','USD',1,200,1,'US',NULL,'active');
